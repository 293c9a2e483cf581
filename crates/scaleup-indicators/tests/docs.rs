//! docs/indicators.md lists every indicator, and every citation resolves inside the repository.

use scaleup_indicators::INDICATORS;

fn read(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    std::fs::read_to_string(format!("{root}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn docs_list_every_indicator() {
    let doc = read("docs/indicators.md");
    for def in INDICATORS {
        assert!(
            doc.contains(&format!("| `{}` |", def.code)),
            "docs/indicators.md does not list {}",
            def.code
        );
        for cite in def.citation.split(';').map(str::trim) {
            let (file, anchor) = cite
                .split_once('#')
                .unwrap_or_else(|| panic!("{}: citation {cite} names no anchor", def.code));
            assert!(
                file.starts_with("docs/"),
                "{}: {cite} is outside docs/",
                def.code
            );
            assert!(
                read(file).contains(&format!("{{#{anchor}}}")),
                "{}: {cite} does not resolve",
                def.code
            );
        }
    }
}
