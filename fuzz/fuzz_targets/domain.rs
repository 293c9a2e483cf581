#![no_main]
//! Definitions (instruments, protocols, competencies) into a catalog, response pairs scored
//! against the built-in instruments, dates and record payloads. The first byte picks which.
use libfuzzer_sys::fuzz_target;
use scaleup_domain::catalog::Catalog;
use scaleup_domain::competency::CompetencyFramework;
use scaleup_domain::instrument::Instrument;
use scaleup_domain::protocol::Protocol;
use scaleup_domain::date::Date;
use scaleup_domain::instrument::Responses;
use scaleup_domain::record::{RecordKind, parse_payload};

fuzz_target!(|data: &[u8]| {
    if data.len() > 8192 || data.is_empty() {
        return;
    }
    let sel = data[0];
    let Ok(text) = std::str::from_utf8(&data[1..]) else { return };
    match sel % 4 {
        0 => {
            // Each definition kind's parser, then scoring a parsed instrument with codes
            // derived from the selector byte.
            if let Ok(inst) = Instrument::from_toml("fuzz.toml", text) {
                let mut r = Responses::new();
                for (i, item) in inst.def().items.iter().enumerate() {
                    let code = (i as i32).wrapping_mul(sel as i32) % 7 - 1;
                    r.insert(item.id.clone(), (code >= 0).then_some(code));
                }
                let _ = inst.score(&r);
                let _ = inst.risk_flags(&r);
            }
            let _ = CompetencyFramework::from_toml("fuzz.toml", text);
            let _ = Protocol::from_toml("fuzz.toml", text, Catalog::builtin_shared());
        }
        1 => {
            if let Ok(r) = Responses::parse_pairs(text) {
                for (_, inst) in Catalog::builtin_shared().instruments() {
                    let _ = inst.score(&r);
                    let _ = inst.risk_flags(&r);
                }
            }
        }
        2 => {
            let _ = Date::parse(text, "date");
        }
        _ => {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
                let _ = parse_payload(RecordKind::ALL[(sel as usize / 4) % RecordKind::ALL.len()], &v);
            }
        }
    }
});
