//! `scaleup export dhis2` against a local stub of DHIS2's `POST /api/dataValueSets`: the stub
//! checks the request as DHIS2 would (path, token, the bulk payload's shape: ids, periods,
//! numeric values, no value given twice) and answers with an import summary. The figures sent
//! must be the indicators' own, after disclosure control: nothing below k leaves the hub.

#![cfg(feature = "server")]

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const BIN: &str = env!("CARGO_BIN_EXE_scaleup");
const TODAY: &str = "2026-12-01";
const TOKEN: &str = "d2pat_stub_token_1234567890";

fn scaleup<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run scaleup")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn is_uid(s: &str) -> bool {
    s.len() == 11
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
        && s.as_bytes()[0].is_ascii_alphabetic()
}

/// A DHIS2 uid made from a name, for the test's mapping.
fn uid(prefix: char, n: usize) -> String {
    format!("{prefix}{n:010}")
}

/// What the stub received: the request target and the parsed body.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// Checks a body as DHIS2's import would, returning the conflicts it would report.
fn dhis2_conflicts(body: &Value) -> Vec<String> {
    let mut conflicts = Vec::new();
    let Some(values) = body["dataValues"].as_array() else {
        return vec!["no dataValues array".into()];
    };
    let mut seen = BTreeSet::new();
    for v in values {
        let field = |k: &str| v[k].as_str().unwrap_or("").to_string();
        for k in ["dataElement", "orgUnit", "categoryOptionCombo"] {
            if !is_uid(&field(k)) {
                conflicts.push(format!("{k} {} is not a uid", v[k]));
            }
        }
        let period = field("period");
        if !(period.len() == 6 && period.bytes().all(|b| b.is_ascii_digit())) {
            conflicts.push(format!("period {period} is not monthly"));
        }
        if field("value").parse::<f64>().is_err() {
            conflicts.push(format!("value {} is not a number", v["value"]));
        }
        let key = (
            field("dataElement"),
            field("categoryOptionCombo"),
            period,
            field("orgUnit"),
        );
        if !seen.insert(key.clone()) {
            conflicts.push(format!("value given twice: {key:?}"));
        }
    }
    conflicts
}

/// A stub DHIS2 on loopback: answers every request until the test ends.
fn stub() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let log = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let target = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let mut headers = BTreeMap::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (status, answer) = if headers.get("authorization").map(String::as_str)
                != Some(&format!("ApiToken {TOKEN}"))
            {
                (
                    401,
                    json!({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Account not found or not enabled"}),
                )
            } else if !target.starts_with("/api/dataValueSets?") {
                (
                    404,
                    json!({"httpStatus": "Not Found", "message": "no such endpoint"}),
                )
            } else {
                let conflicts = dhis2_conflicts(&body);
                let n = body["dataValues"].as_array().map_or(0, Vec::len);
                let dry = target.contains("dryRun=true");
                // The envelope of DHIS2 2.38 and later.
                (
                    200,
                    json!({"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "response": {
                        "responseType": "ImportSummary",
                        "status": if conflicts.is_empty() { "SUCCESS" } else { "WARNING" },
                        "importCount": {"imported": if dry { 0 } else { n - conflicts.len().min(n) }, "updated": 0, "ignored": conflicts.len(), "deleted": 0},
                        "conflicts": conflicts.iter().map(|c| json!({"object": "dataValue", "value": c})).collect::<Vec<_>>(),
                    }}),
                )
            };
            log.lock().unwrap().push((target, body));
            let text = answer.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (url, received)
}

#[test]
fn indicators_reach_a_dhis2_stub_as_the_indicators_say_and_nothing_below_k() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let db = db.to_str().unwrap();
    ok(&scaleup(
        &[
            "demo",
            "--db",
            db,
            "--clients",
            "600",
            "--today",
            TODAY,
            "--json",
        ],
        &[],
    ));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool = runtime
        .block_on(sqlx::sqlite::SqlitePool::connect(&format!("sqlite://{db}")))
        .unwrap();
    let programme: String = runtime
        .block_on(
            sqlx::query_scalar("SELECT code FROM programmes ORDER BY code LIMIT 1")
                .fetch_one(&pool),
        )
        .unwrap();
    let facilities: Vec<String> = runtime
        .block_on(
            sqlx::query_scalar("SELECT code FROM org_units WHERE level = 'facility' ORDER BY code")
                .fetch_all(&pool),
        )
        .unwrap();
    runtime.block_on(pool.close());
    let org_units: BTreeMap<String, String> = facilities
        .iter()
        .enumerate()
        .map(|(i, code)| (code.clone(), uid('O', i)))
        .collect();
    let mut mapping =
        String::from("period_type = \"monthly\"\norg_unit_level = \"facility\"\n\n[org_units]\n");
    for (code, id) in &org_units {
        mapping.push_str(&format!("\"{code}\" = \"{id}\"\n"));
    }
    mapping.push_str(&format!(
        r#"
[[data_element]]
indicator = "screened"
data_element = "{de_screened}"
disaggregate_by = "sex"
category_option_combos = {{ female = "{female}", male = "{male}" }}

[[data_element]]
indicator = "enrolled"
data_element = "{de_enrolled}"
category_option_combo = "{default}"
"#,
        de_screened = uid('D', 1),
        de_enrolled = uid('D', 2),
        female = uid('C', 1),
        male = uid('C', 2),
        default = uid('C', 0),
    ));
    let mapping_path = dir.path().join("dhis2.toml");
    std::fs::write(&mapping_path, &mapping).unwrap();
    let mapping_path = mapping_path.to_str().unwrap();
    let (url, received) = stub();
    let common = [
        "export",
        "dhis2",
        "--db",
        db,
        "--programme",
        &programme,
        "--mapping",
        mapping_path,
        "--today",
        TODAY,
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        common.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let env = [("DHIS2_TOKEN", TOKEN)];

    // Sent for real: every value taken, no conflict.
    let out_file = dir.path().join("payload.json");
    let stdout = ok(&scaleup(
        &with(&["--post", &url, "--out", out_file.to_str().unwrap()]),
        &env,
    ));
    let (target, sent) = received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(target, "/api/dataValueSets?dryRun=false");
    assert!(
        dhis2_conflicts(&sent).is_empty(),
        "{:?}",
        dhis2_conflicts(&sent)
    );
    let values = sent["dataValues"].as_array().unwrap();
    assert!(
        values.len() > 20,
        "the demo has figures to send: {}",
        values.len()
    );
    assert!(
        stdout.contains(&format!("imported {}", values.len())),
        "{stdout}"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(written, sent, "--out holds what was sent");

    // The figures are the indicators' own, cut the same way, with small counts withheld.
    let facility_of: BTreeMap<&str, &str> = org_units
        .iter()
        .map(|(code, id)| (id.as_str(), code.as_str()))
        .collect();
    let doc: Value = serde_json::from_str(&ok(&scaleup(
        &[
            "indicators",
            "--db",
            db,
            "--programme",
            &programme,
            "--by",
            "facility,month,sex",
            "--indicator",
            "screened",
            "--suppress-below",
            "5",
            "--today",
            TODAY,
        ],
        &[],
    )))
    .unwrap();
    let mut expected = BTreeMap::new();
    let mut withheld = 0;
    for row in doc["indicators"].as_array().unwrap() {
        let by = |d: &str| row["by"][d]["key"].as_str().unwrap().to_string();
        let combo = match by("sex").as_str() {
            "female" => uid('C', 1),
            "male" => uid('C', 2),
            _ => continue,
        };
        if row["suppressed"] == true {
            withheld += 1;
            continue;
        }
        let Some(n) = row["numerator"].as_f64() else {
            continue;
        };
        let period = by("month").replace('-', "");
        expected.insert((by("facility"), period, combo), n);
    }
    assert!(
        withheld > 0,
        "the demo has small cells, so the test sees suppression"
    );
    let mut got = BTreeMap::new();
    for v in values
        .iter()
        .filter(|v| v["dataElement"] == uid('D', 1).as_str())
    {
        let value: f64 = v["value"].as_str().unwrap().parse().unwrap();
        assert!(
            value == 0.0 || value >= 5.0,
            "nothing from 1 to 4 leaves the hub: {v}"
        );
        got.insert(
            (
                facility_of[v["orgUnit"].as_str().unwrap()].to_string(),
                v["period"].as_str().unwrap().to_string(),
                v["categoryOptionCombo"].as_str().unwrap().to_string(),
            ),
            value,
        );
    }
    assert_eq!(got, expected, "screened by facility, month and sex");

    // Sending again is safe: the same payload.
    ok(&scaleup(&with(&["--post", &url]), &env));
    let (_, again) = received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(again, sent, "the same data give the same payload");

    // A dry run asks DHIS2 to check without saving.
    let stdout = ok(&scaleup(&with(&["--post", &url, "--dry-run"]), &env));
    let (target, _) = received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(target, "/api/dataValueSets?dryRun=true");
    assert!(stdout.contains("(dry run)"), "{stdout}");

    // A wrong token: refused, said in words, exit status non-zero.
    let out = scaleup(&with(&["--post", &url]), &[("DHIS2_TOKEN", "d2pat_wrong")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused the token"), "{err}");
    // No token at all: refused before anything is computed or sent.
    let before = received.lock().unwrap().len();
    let out = scaleup(&with(&["--post", &url]), &[("DHIS2_TOKEN", "")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("environment variable DHIS2_TOKEN"), "{err}");
    assert_eq!(received.lock().unwrap().len(), before, "nothing was sent");
}

#[test]
fn a_mapping_or_a_period_that_cannot_be_used_is_refused_with_where() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let db = db.to_str().unwrap();
    ok(&scaleup(
        &[
            "demo",
            "--db",
            db,
            "--clients",
            "200",
            "--today",
            TODAY,
            "--json",
        ],
        &[],
    ));
    let mapping = dir.path().join("bad.toml");
    std::fs::write(
        &mapping,
        "period_type = \"monthly\"\norg_unit_level = \"ward\"\n[org_units]\nX = \"bad\"\n[[data_element]]\nindicator = \"phq9_magic\"\ndata_element = \"D0000000001\"\ncategory_option_combo = \"C0000000000\"\n",
    )
    .unwrap();
    let out = scaleup(
        &[
            "export",
            "dhis2",
            "--db",
            db,
            "--programme",
            "x",
            "--mapping",
            mapping.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "bad.toml: the mapping cannot be used",
        "org_unit_level: `ward` is not a level",
        "org_units.X: `bad` is not a DHIS2 id",
        "data_element[1].indicator: `phq9_magic` is not an indicator code",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }

    // A usable mapping that names one facility only: the others are named.
    std::fs::write(
        &mapping,
        "period_type = \"quarterly\"\norg_unit_level = \"district\"\n[org_units]\nnowhere = \"O0000000001\"\n[[data_element]]\nindicator = \"enrolled\"\ndata_element = \"D0000000001\"\ncategory_option_combo = \"C0000000000\"\n",
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let programme: String = runtime
        .block_on(async {
            let pool = sqlx::sqlite::SqlitePool::connect(&format!("sqlite://{db}")).await?;
            let code = sqlx::query_scalar("SELECT code FROM programmes ORDER BY code LIMIT 1")
                .fetch_one(&pool)
                .await;
            pool.close().await;
            code
        })
        .unwrap();
    let base = [
        "export",
        "dhis2",
        "--db",
        db,
        "--programme",
        &programme,
        "--mapping",
        mapping.to_str().unwrap(),
        "--today",
        TODAY,
    ];
    let out = scaleup(&base, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("these org units have no DHIS2 id in the mapping's [org_units]"),
        "{err}"
    );

    // Periods that are not whole quarters would let two exports be subtracted.
    let out = scaleup(&[base.as_slice(), &["--from", "2026-02-01"]].concat(), &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--from: must be the first day of a quarter"),
        "{err}"
    );
    let out = scaleup(&[base.as_slice(), &["--to", "2026-03-30"]].concat(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--to: must be the last day of a quarter"),
        "{err}"
    );
}
