"""Writes an ODK Central submission CSV of about SIZE_MB megabytes for the import benchmarks
(scripts/bench/import-memory.sh, import-api-memory.sh): per row a client and a PHQ-9 screening
through the mapping those scripts write, with a free-text column of 20-120 bytes. The same seed
gives the same file.

Usage: python3 scripts/bench/odk_csv.py OUT.csv SIZE_MB
"""
import random
import sys

path, size_mb = sys.argv[1], int(sys.argv[2])
limit = size_mb * 1024 * 1024
rnd = random.Random(5)
header = "SubmissionDate,meta-instanceID,client_code,facility,sex,birth_year,visit_date,q-1,q-2,q-3,q-4,q-5,q-6,q-7,q-8,q-9,note,KEY,SubmitterID,SubmitterName\n"
written = 0
n = 0
with open(path, "w", buffering=1 << 20) as f:
    f.write(header)
    written += len(header)
    while written < limit:
        n += 1
        day = 1 + n % 28
        items = ",".join(str(rnd.randint(0, 3)) for _ in range(8)) + ",0"
        note = "x" * rnd.randint(20, 120)
        row = (f"2026-05-{day:02d}T08:00:00.000Z,uuid:{n:08d}-0000-4000-8000-000000000000,KC-{n},ke-f{1 + n % 12:03d},"
               f"{'female' if n % 2 else 'male'},{1950 + n % 50},2026-05-{day:02d},{items},{note},uuid:k{n},7,amina\n")
        f.write(row)
        written += len(row)
print(f"{n} rows, {written} bytes", file=sys.stderr)
