//! The DHIS2 Tracker payload on a hand-built programme: the flat shape of reference §1.3,
//! stable DHIS2-shaped UIDs, and everything the mapping does not cover counted, not guessed.

mod common;

use common::*;
use scaleup_interop::deid::DeidKey;
use scaleup_interop::dhis2::{self, Mapping};

const MAPPING: &str = r#"
tracked_entity_type = "nEenWmSyUEp"
program = "IpHINAT79UW"

[org_units]
fac-a = "DiszpKrYNg8"

[attributes]
sex = "cejWyOfXge6"
pseudonym = "lZGmxYbs97q"

[sex_codes]
female = "Female"
male = "Male"

[assessments.phq9]
stage = "A03MvHHogjR"
data_elements = { total = "BuZ5LGNfGEU", "9" = "UXz7xuGCEhU" }

[session]
stage = "ZzYYXq4fJie"
data_elements = { attended = "GieVkTxp4HH", number = "X8zyunlgUfM" }
"#;

#[test]
fn clients_episodes_and_events_become_a_flat_tracker_payload() {
    let mapping = Mapping::from_toml(MAPPING).unwrap();
    let key = DeidKey::new([9; 32]);
    let (payload, summary) = dhis2::tracker_payload(&source(&twelve()), &mapping, &key);
    // Only facility A is mapped: its six clients go, facility B's are counted out.
    assert_eq!(summary.tracked_entities, 6);
    assert_eq!(summary.enrollments, 6);
    assert_eq!(summary.events, 6 * (2 + 3));
    assert_eq!(summary.unmapped_facilities, ["fac-b".to_string()].into());
    assert!(summary.unmapped_values.contains("1"));
    let te = &payload["trackedEntities"][0];
    assert_eq!(te["trackedEntityType"], "nEenWmSyUEp");
    assert_eq!(te["orgUnit"], "DiszpKrYNg8");
    assert!(dhis2::is_uid(te["trackedEntity"].as_str().unwrap()));
    assert_eq!(te["attributes"][0]["attribute"], "cejWyOfXge6");
    let en = &payload["enrollments"][0];
    assert_eq!(en["status"], "ACTIVE");
    assert_eq!(en["enrolledAt"], "2026-01-10T00:00:00.000");
    let events = payload["events"].as_array().unwrap();
    let phq: Vec<_> = events
        .iter()
        .filter(|e| e["programStage"] == "A03MvHHogjR")
        .collect();
    assert_eq!(phq.len(), 12);
    let values = phq[0]["dataValues"].as_array().unwrap();
    assert!(
        values
            .iter()
            .any(|v| v["dataElement"] == "BuZ5LGNfGEU" && v["value"] == "16")
    );
    // Every event belongs to an enrollment in the payload.
    let enrollments: Vec<&str> = payload["enrollments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["enrollment"].as_str().unwrap())
        .collect();
    assert!(
        events
            .iter()
            .all(|e| enrollments.contains(&e["enrollment"].as_str().unwrap()))
    );
    // Stable: the same key gives the same UIDs.
    let (again, _) = dhis2::tracker_payload(&source(&twelve()), &mapping, &key);
    assert_eq!(payload, again);
}

#[test]
fn a_mapping_with_a_malformed_uid_is_refused_by_field() {
    let bad = MAPPING.replace("DiszpKrYNg8", "not-a-uid");
    let err = Mapping::from_toml(&bad).unwrap_err().to_string();
    assert_eq!(
        err,
        "org_units.fac-a: must be a DHIS2 UID (a letter, then 10 letters or digits)"
    );
    assert!(Mapping::from_toml("program = 1").is_err());
}
