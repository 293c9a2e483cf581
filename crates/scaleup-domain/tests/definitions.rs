//! Definition files: the built-ins load, and malformed hub files are rejected with
//! `file:line: field: message`.

use scaleup_domain::catalog::{BUILTIN_FILES, Catalog, DefinitionKind};

#[test]
fn every_builtin_file_is_valid() {
    let mut cat = Catalog::new();
    let mut errors = Vec::new();
    for (name, text) in BUILTIN_FILES {
        if let Err(e) = cat.add_file(name, text) {
            errors.push(e.to_string());
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
