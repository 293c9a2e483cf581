#![no_main]
//! The CSV analyses besides LMM/GLMM: GEE, meta-analysis, ICC and EVPI from PSA draws. The
//! first byte picks the analysis and its options; the first line holds the columns or formula,
//! the rest is the CSV table.
use libfuzzer_sys::fuzz_target;
use scaleup_analysis::gee_meta::{
    self, GeeCorrelation, GeeFamily, GeeRequest, GeeSmallSample, MetaMethodArg, MetaRequest,
};
use scaleup_analysis::uncertainty::{self, EvpiRequest};

fuzz_target!(|data: &[u8]| {
    if data.len() > 4096 || data.is_empty() {
        return;
    }
    let sel = data[0];
    let Ok(text) = std::str::from_utf8(&data[1..]) else { return };
    let (head, csv) = text.split_once('\n').unwrap_or((text, ""));
    let csv = csv.as_bytes();
    match sel % 4 {
        0 => {
            let (formula, group) = head.rsplit_once('|').unwrap_or((head, "g"));
            let req = GeeRequest {
                formula: formula.to_string(),
                family: if sel & 4 != 0 { GeeFamily::Binomial } else { GeeFamily::Gaussian },
                corr: if sel & 8 != 0 {
                    GeeCorrelation::Independence
                } else {
                    GeeCorrelation::Exchangeable
                },
                group: group.trim().to_string(),
                small_sample: (sel & 16 != 0).then_some(GeeSmallSample::ManclDerouen),
                factors: Vec::new(),
            };
            let _ = gee_meta::gee("fuzz.csv", csv, &req);
        }
        1 => {
            let mut cols = head.split(',').map(str::trim);
            let estimate = cols.next().unwrap_or("").to_string();
            let se = cols.next().unwrap_or("").to_string();
            let label = cols.next().map(str::to_string);
            let df = cols.next().map(str::to_string);
            let kh = sel & 16 != 0;
            let req = MetaRequest {
                estimate,
                se,
                label,
                df,
                method: [MetaMethodArg::Fe, MetaMethodArg::Dl, MetaMethodArg::Reml]
                    [(sel as usize >> 2) % 3],
                knapp_hartung: kh,
                kh_truncate: kh && sel & 32 != 0,
                level: 0.95,
                axis_label: "log OR".into(),
            };
            let _ = gee_meta::meta("fuzz.csv", csv, &req);
        }
        2 => {
            let _ = gee_meta::icc("fuzz.csv", csv, head, &[]);
        }
        _ => {
            let evppi: Vec<String> = head
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let req = EvpiRequest {
                wtp: f64::from(sel >> 2) * 100.0,
                population: (sel & 64 != 0).then_some(1000.0),
                years: u32::from(sel >> 4),
                discount: 0.03,
                evppi,
                evppi_groups: (sel & 128 != 0).then_some(usize::from(sel % 16)),
            };
            let _ = uncertainty::evpi("fuzz.csv", csv, &req);
        }
    }
});
