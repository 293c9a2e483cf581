//! Hostile input for every import reader (issue 9): the fixtures mutated thousands of ways
//! (bytes flipped, cut, repeated, cells padded to huge sizes, formula cells) must give errors
//! or records, never a panic. A deterministic stand-in for the fuzz targets
//! (fuzz/fuzz_targets/import_*.rs) that runs with `cargo test`.

use scaleup_interop::import::mapping::{Mapping, Rows};
use scaleup_interop::import::{Targets, dhis2, expr, redcap, xlsform};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/import")
            .join(name),
    )
    .unwrap()
}

/// xorshift64*: enough randomness for mutations, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len());
        match rng.below(7) {
            0 => {
                if !v.is_empty() {
                    v[at] ^= 1 << rng.below(8)
                }
            }
            1 => v.truncate(at),
            2 => {
                let b =
                    [b',', b'"', b'\n', b'=', 0xFF, b'{', b'}', b'[', b']', b':'][rng.below(10)];
                v.insert(at, b);
            }
            3 => {
                let end = (at + rng.below(64)).min(v.len());
                let chunk = v[at..end].to_vec();
                for (i, b) in chunk.into_iter().enumerate() {
                    v.insert(end + i, b);
                }
            }
            4 => {
                let pad = vec![b'x'; 70_000];
                v.splice(at..at, pad);
            }
            5 => v
                .splice(at..at, b"=cmd|' /C calc'!A0".iter().copied())
                .for_each(drop),
            _ => {
                if at < v.len() {
                    v.remove(at);
                }
            }
        }
    }
    v
}

fn targets() -> Targets {
    let mut t = Targets::default();
    t.programmes
        .insert("ke-pmplus".into(), uuid::Uuid::from_u128(1));
    t.facilities
        .insert("kibra-hc".into(), uuid::Uuid::from_u128(11));
    t.users
        .insert("counsellor".into(), uuid::Uuid::from_u128(99));
    t
}

#[test]
fn mutated_csv_exports_and_dictionaries_never_panic() {
    let today = scaleup_domain::date::Date::parse("2026-06-15", "t").unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (csv, mapping) in [
        ("odk-central-phq2.csv", "odk-central-phq2.mapping.toml"),
        (
            "redcap-phq2-records.csv",
            "redcap-phq2-records.mapping.toml",
        ),
    ] {
        let m = Mapping::from_toml("m", &String::from_utf8(fixture(mapping)).unwrap()).unwrap();
        let original = fixture(csv);
        for _ in 0..700 {
            let input = mutate(&mut rng, &original);
            if let Ok(rows) = Rows::new(
                "f.csv",
                &input[..],
                &m,
                &targets(),
                today,
                "2026-06-15T00:00:00Z",
            ) {
                for unit in rows {
                    if let Err(errors) = unit.outcome {
                        assert!(errors.iter().all(|e| !e.message.contains("cmd")));
                    }
                }
            }
        }
    }
    for dict in ["redcap-phq2-dictionary.csv", "redcap-iedea-tblcenter.csv"] {
        let original = fixture(dict);
        for _ in 0..700 {
            let input = mutate(&mut rng, &original);
            if let Ok(forms) = redcap::read_dictionary("d.csv", &input[..]) {
                for f in forms {
                    let _ = f.to_instrument(&Default::default());
                }
            }
        }
    }
}

#[test]
fn mutated_workbooks_never_panic() {
    let mut rng = Rng(42);
    for name in ["phq2-multilingual.xlsx", "screening-features.xlsx"] {
        let original = fixture(name);
        for _ in 0..300 {
            let input = mutate(&mut rng, &original);
            if let Ok(f) = xlsform::read("f.xlsx", std::io::Cursor::new(input)) {
                let _ = f.to_instrument(&Default::default());
            }
        }
    }
}

#[test]
fn mutated_tracker_payloads_and_expressions_never_panic() {
    let mapping = scaleup_interop::dhis2::Mapping::from_toml(
        "tracked_entity_type = \"nEenWmSyUEp\"\nprogram = \"IpHINAT79UW\"\n[org_units]\nkibra-hc = \"y77LiPqLMoq\"\n[assessments.phq2]\nstage = \"A03MvHHogjR\"\noccasion = \"screening\"\ndata_elements = { \"1\" = \"UXz7xuGCEhU\" }\n[session]\nstage = \"ZzYYXq4fJie\"\n",
    )
    .unwrap();
    let today = scaleup_domain::date::Date::parse("2026-06-15", "t").unwrap();
    let mut rng = Rng(7);
    let original = fixture("dhis2-docs-flat-payload.json");
    for _ in 0..2000 {
        let input = mutate(&mut rng, &original);
        let mut reader = dhis2::TrackerReader::new(
            "p.json",
            &mapping,
            &targets(),
            "ke-pmplus",
            today,
            "2026-06-15T00:00:00Z",
        )
        .unwrap();
        let _ = reader.read(|| Ok(&input[..]), &mut |_| {});
    }
    let exprs = [
        "${a} = 'yes' and . >= 0",
        "selected(${s}, 'x') or not(${b} != 2)",
        "count-selected(.) >= 1",
    ];
    for _ in 0..3000 {
        let e = exprs[rng.below(exprs.len())].as_bytes();
        let input = mutate(&mut rng, e);
        if let Ok(text) = std::str::from_utf8(&input)
            && let Ok(parsed) = expr::parse(text)
        {
            let _ = parsed.integer_range();
            // The canonical text reads back to the same tree.
            assert_eq!(expr::parse(&parsed.to_string()).ok(), Some(parsed));
        }
    }
}

/// A zip written by hand: each entry as (name, declared uncompressed size, raw deflate data,
/// CRC-32). Enough of the format (no ZIP64, no data descriptors) for a reader to open it.
fn zip_of(entries: &[(String, u32, &[u8], u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, size, data, crc) in entries {
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes()); // made by
            }
            h.extend(20u16.to_le_bytes()); // version needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(8u16.to_le_bytes()); // deflate
            h.extend(0u32.to_le_bytes()); // time and date
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend(0u16.to_le_bytes()); // comment
                h.extend(0u16.to_le_bytes()); // disk
                h.extend(0u16.to_le_bytes()); // internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disk numbers
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn deflated(bytes: &[u8]) -> (Vec<u8>, u32) {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    (e.finish().unwrap(), crc32fast::hash(bytes))
}

fn refusal(workbook: Vec<u8>) -> String {
    let errors = xlsform::read("bomb.xlsx", std::io::Cursor::new(workbook)).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].to_string()
}

/// Issue 9: a workbook that would inflate past 64 MiB is refused before calamine reads it,
/// whether its entries declare their true size or lie about it, and so is one with too many
/// entries; a real workbook still reads.
#[test]
fn zip_bombs_are_refused_before_calamine_inflates_them() {
    // 80 entries of 1 MiB of spaces each: about 80 KB on disk, 80 MiB inflated. (The same
    // compressed bytes serve every entry, so the test compresses 1 MiB once.)
    let mib = vec![b' '; 1 << 20];
    let (data, crc) = deflated(&mib);
    assert!(data.len() < 2048, "{}", data.len());
    let honest: Vec<(String, u32, &[u8], u32)> = (0..80)
        .map(|i| {
            (
                format!("xl/worksheets/sheet{i}.xml"),
                1 << 20,
                &data[..],
                crc,
            )
        })
        .collect();
    let bomb = zip_of(&honest);
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let message = refusal(bomb);
    assert!(
        message.contains("bomb.xlsx") && message.contains("more than 64 MiB once unzipped"),
        "{message}"
    );
    // The same entries claiming 1 KiB each pass the declared sum; inflating them is refused
    // either by zip (9.x stops at the declared size and the CRC then fails: "damaged") or by
    // the count of bytes actually inflated. Either way nothing reaches calamine.
    let liar: Vec<(String, u32, &[u8], u32)> = honest
        .iter()
        .map(|(n, _, d, c)| (n.clone(), 1024, *d, *c))
        .collect();
    let message = refusal(zip_of(&liar));
    assert!(
        message.contains("more than 64 MiB once unzipped") || message.contains("damaged"),
        "{message}"
    );
    // One shared-strings part of 70 MiB.
    let (big, big_crc) = deflated(&vec![b'a'; 70 << 20]);
    let message = refusal(zip_of(&[(
        "xl/sharedStrings.xml".into(),
        70 << 20,
        &big[..],
        big_crc,
    )]));
    assert!(
        message.contains("more than 64 MiB once unzipped"),
        "{message}"
    );
    // Too many entries, each empty.
    let (empty, empty_crc) = deflated(b"");
    let many: Vec<(String, u32, &[u8], u32)> = (0..1001)
        .map(|i| (format!("e{i}"), 0, &empty[..], empty_crc))
        .collect();
    let message = refusal(zip_of(&many));
    assert!(message.contains("more than 1000 entries"), "{message}");
    // Not a zip at all, and a real workbook.
    assert!(refusal(b"not a zip".to_vec()).contains("not an .xlsx workbook"));
    let form = xlsform::read(
        "phq2.xlsx",
        std::io::Cursor::new(fixture("phq2-multilingual.xlsx")),
    )
    .unwrap();
    assert!(!form.questions.is_empty());
}
