//! Definition and model files cite sources a reader of the repository can open (hardening item
//! 18): every `docs/sources.md#anchor` they name exists, and none points to notes outside the
//! repository.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml" || x == "md") {
            out.push(p);
        }
    }
}

#[test]
fn issue_18_definition_citations_resolve_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sources = std::fs::read_to_string(root.join("docs/sources.md")).unwrap();
    let mut all = Vec::new();
    files(&root.join("crates/scaleup-domain/definitions"), &mut all);
    files(&root.join("crates/scaleup-econ/models"), &mut all);
    assert!(all.len() > 10);
    for f in all {
        let text = std::fs::read_to_string(&f).unwrap();
        for outside in [
            "shared/reference",
            "instruments.md",
            "implementation-science.md",
            "economics-and-study-design.md",
            "reference doc",
        ] {
            assert!(
                !text.contains(outside),
                "{} cites `{outside}`, which is not in the repository",
                f.display()
            );
        }
        for (i, _) in text.match_indices("docs/sources.md#") {
            let anchor: String = text[i + "docs/sources.md#".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(
                sources.contains(&format!("{{#{anchor}}}")),
                "{}: no section #{anchor} in docs/sources.md",
                f.display()
            );
        }
    }
}
