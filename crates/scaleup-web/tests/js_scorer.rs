//! The offline scorer (`assets/js/score.js`) agrees with the Rust scorer.
//!
//! Counsellors' phones score forms with score.js from the definition JSON the API serves
//! (`serde_json::to_value(instrument.def())`); the server rescores the synced responses with
//! `Instrument::score`. The two must never disagree about a total, a band or a red flag, so this
//! test scores well over a thousand random response sets per built-in instrument (plus two
//! synthetic definitions for features no built-in uses) in Rust, writes them with the Rust
//! results to a file and has `assets/js/test/score_agreement.mjs` rescore them in Node.js.
//! Coverage is checked here before Node runs: every band and band edge, every risk rule raised
//! and not raised, every derived rule met and not met, every cut-off on both sides, and every
//! error kind.
//!
//! Node.js is required: without it the test fails rather than skips, since a skipped
//! agreement test would let the two scorers drift apart unnoticed.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scaleup_domain::catalog::Catalog;
use scaleup_domain::instrument::{
    ConditionDef, Instrument, Method, ResponseScale, Responses, Score, ScoreError, ScoreOptions,
    Sex,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Random response sets per instrument; the test requires Node to report at least `MIN_CASES`.
const CASES_PER_INSTRUMENT: usize = 1200;
const MIN_CASES: usize = 1000;
const SEED: u64 = 0x5ca1_e0b5;

/// Definitions that exercise what no built-in instrument does (see the files' headers).
const FIXTURES: [(&str, &str); 2] = [
    (
        "prorated.toml",
        include_str!("fixtures/js_scorer/prorated.toml"),
    ),
    ("mean.toml", include_str!("fixtures/js_scorer/mean.toml")),
];

fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/js")
}

/// Runs Node.js, failing (not skipping) with an install hint when it is missing.
fn node(args: &[&std::ffi::OsStr], envs: &[(&str, &Path)]) -> Output {
    let program = std::env::var("NODE").unwrap_or_else(|_| "node".to_string());
    let mut cmd = Command::new(&program);
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!(
            "could not run `{program}` ({e}). Node.js 20 or newer is needed to test the offline \
             scorer assets/js/score.js against the Rust scorer: install Node.js (e.g. \
             `apt-get install nodejs`) or set NODE to its path, then rerun. This test does not skip."
        ),
    }
}

/// The built-in instruments plus the synthetic fixtures, keyed by code.
fn instruments() -> Vec<Instrument> {
    let catalog = Catalog::builtin();
    let mut out: Vec<Instrument> = catalog.instruments().map(|(_, i)| i.clone()).collect();
    for (name, text) in FIXTURES {
        out.push(Instrument::from_toml(name, text).unwrap_or_else(|e| panic!("{e}")));
    }
    let codes: BTreeSet<&str> = out.iter().map(|i| i.code()).collect();
    assert_eq!(codes.len(), out.len(), "instrument codes must be unique");
    out
}

/// `{code: definition JSON}`, exactly what `GET /api/v1/instruments/{code}` serves.
fn defs_json(instruments: &[Instrument]) -> Value {
    Value::Object(
        instruments
            .iter()
            .map(|i| (i.code().to_string(), serde_json::to_value(i.def()).unwrap()))
            .collect(),
    )
}

/// The error as score.js reports it: `kind` is the variant in snake_case. The match is
/// exhaustive on purpose: a new `ScoreError` variant must be added to score.js too.
fn error_json(e: ScoreError) -> Value {
    let error = match e {
        ScoreError::UnknownItem { item } => json!({"kind": "unknown_item", "item": item}),
        ScoreError::CodeOutOfRange { item, .. } => {
            json!({"kind": "code_out_of_range", "item": item})
        }
        ScoreError::TooManyMissing {
            missing,
            allowed,
            risk_flags,
        } => json!({"kind": "too_many_missing", "missing": missing, "allowed": allowed,
                    "risk_flags": risk_flags}),
        ScoreError::UnknownCoding { coding } => json!({"kind": "unknown_coding", "coding": coding}),
        ScoreError::UnknownCutoff { cutoff } => json!({"kind": "unknown_cutoff", "cutoff": cutoff}),
    };
    json!({ "error": error })
}

fn error_kind(e: &ScoreError) -> &'static str {
    match e {
        ScoreError::UnknownItem { .. } => "unknown_item",
        ScoreError::CodeOutOfRange { .. } => "code_out_of_range",
        ScoreError::TooManyMissing { .. } => "too_many_missing",
        ScoreError::UnknownCoding { .. } => "unknown_coding",
        ScoreError::UnknownCutoff { .. } => "unknown_cutoff",
    }
}

/// Item id → code, `None` written as JSON null (an explicitly unanswered item).
type Set = BTreeMap<String, Option<i32>>;

struct Item {
    id: String,
    /// Allowed codes, ascending.
    codes: Vec<i32>,
    scored: bool,
}

/// A quantity a cut-off or condition compares, and how to read it from a default-options score.
#[derive(Clone)]
enum Quantity {
    /// The total under a coding (`None`: the default coding).
    Total(Option<String>),
    /// A subscale in the default coding, shifted to the cut-off's coding.
    Subscale(String, f64),
}

impl Quantity {
    fn read(&self, s: &Score) -> Option<f64> {
        match self {
            Quantity::Total(c) => s.total_under(c.as_deref()),
            Quantity::Subscale(id, shift) => s.subscale(id).map(|v| v + shift),
        }
    }
}

/// What a targeted case tries to make true.
#[derive(Clone)]
enum Goal {
    Value(Quantity, f64),
    RiskRule(String, bool),
    Rule(String, bool),
}

struct Gen<'a> {
    inst: &'a Instrument,
    items: Vec<Item>,
    rng: ChaCha8Rng,
    goals: Vec<Goal>,
}

impl<'a> Gen<'a> {
    fn new(inst: &'a Instrument) -> Self {
        let items = inst
            .def()
            .items
            .iter()
            .map(|d| {
                let mut codes: Vec<i32> = match inst.response_scale(&d.id).expect("resolved") {
                    ResponseScale::Options(o) => o.iter().map(|o| o.code).collect(),
                    ResponseScale::Range(r) => (r.min..=r.max).collect(),
                };
                codes.sort_unstable();
                Item {
                    id: d.id.clone(),
                    codes,
                    scored: d.scored,
                }
            })
            .collect();
        // One stream per instrument, so adding an instrument leaves the others' cases alone.
        let seed = inst.code().bytes().fold(SEED, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let mut g = Gen {
            inst,
            items,
            rng: ChaCha8Rng::seed_from_u64(seed),
            goals: Vec::new(),
        };
        g.goals = g.goals();
        g
    }

    fn n_scored(&self) -> usize {
        self.items.iter().filter(|i| i.scored).count()
    }

    /// Every band edge, cut-off threshold and condition threshold (±1, and ±0.5 where totals
    /// can be fractional), and every risk and derived rule both ways.
    fn goals(&self) -> Vec<Goal> {
        let def = self.inst.def();
        let default_offset = def
            .scoring
            .codings
            .iter()
            .find(|c| c.default)
            .map_or(0, |c| c.item_offset);
        let offset = |coding: &Option<String>| {
            def.scoring
                .codings
                .iter()
                .find(|k| Some(&k.id) == coding.as_ref())
                .map_or(default_offset, |k| k.item_offset)
        };
        let steps: &[f64] = if def.scoring.method == Method::Sum {
            &[-1.0, 0.0, 1.0]
        } else {
            &[-1.0, -0.5, 0.0, 0.5, 1.0]
        };
        let mut values: Vec<(Quantity, f64)> = Vec::new();
        for set in &def.band_sets {
            for b in &set.bands {
                values.push((Quantity::Total(None), b.min));
                values.push((Quantity::Total(None), b.max));
            }
        }
        for c in &def.cutoffs {
            let q = match &c.subscale {
                None => Quantity::Total(c.coding.clone()),
                Some(sub) => {
                    let n = def
                        .subscales
                        .iter()
                        .find(|s| &s.id == sub)
                        .unwrap()
                        .items
                        .len();
                    let per_item = f64::from(offset(&c.coding) - default_offset);
                    let shift = match def.scoring.method {
                        Method::Mean => per_item,
                        _ => per_item * n as f64,
                    };
                    Quantity::Subscale(sub.clone(), shift)
                }
            };
            for s in steps {
                values.push((q.clone(), c.threshold + s));
            }
        }
        fn leaves(c: &ConditionDef, out: &mut Vec<(Quantity, f64)>) {
            if let Some(t) = c.threshold {
                if c.total == Some(true) {
                    out.push((Quantity::Total(None), t));
                }
                if let Some(s) = &c.subscale {
                    out.push((Quantity::Subscale(s.clone(), 0.0), t));
                }
            }
            for sub in c.all.iter().chain(&c.any).flatten() {
                leaves(sub, out);
            }
        }
        let mut conditions = Vec::new();
        for c in def
            .risk_rules
            .iter()
            .map(|r| &r.when)
            .chain(def.rules.iter().map(|r| &r.when))
        {
            leaves(c, &mut conditions);
        }
        for (q, t) in conditions {
            for s in steps {
                values.push((q.clone(), t + s));
            }
        }
        let mut goals: Vec<Goal> = values.into_iter().map(|(q, t)| Goal::Value(q, t)).collect();
        for r in &def.risk_rules {
            goals.push(Goal::RiskRule(r.id.clone(), true));
            goals.push(Goal::RiskRule(r.id.clone(), false));
        }
        for r in &def.rules {
            goals.push(Goal::Rule(r.id.clone(), true));
            goals.push(Goal::Rule(r.id.clone(), false));
        }
        goals
    }

    /// A code near `level` (0 = lowest code, 1 = highest), with some noise.
    fn near(&mut self, k: usize, level: f64) -> i32 {
        let codes = &self.items[k].codes;
        let top = (codes.len() - 1) as f64;
        let x = (level * top + self.rng.random_range(-0.75..0.75)).round();
        codes[x.clamp(0.0, top) as usize]
    }

    fn uniform(&mut self, k: usize) -> i32 {
        *self.items[k].codes.choose(&mut self.rng).unwrap()
    }

    /// Every scored item answered; unscored items mostly answered.
    fn full(&mut self, level: Option<f64>) -> Set {
        let mut set = Set::new();
        for k in 0..self.items.len() {
            if !self.items[k].scored && self.rng.random_bool(0.2) {
                continue;
            }
            let code = match level {
                Some(l) => self.near(k, l),
                None => self.uniform(k),
            };
            set.insert(self.items[k].id.clone(), Some(code));
        }
        set
    }

    /// Leaves `n` random scored items unanswered, as an absent key or an explicit null.
    fn drop_scored(&mut self, set: &mut Set, n: usize) {
        let mut scored: Vec<usize> = (0..self.items.len())
            .filter(|&k| self.items[k].scored)
            .collect();
        rand::seq::SliceRandom::shuffle(scored.as_mut_slice(), &mut self.rng);
        for &k in scored.iter().take(n) {
            let id = self.items[k].id.clone();
            if self.rng.random_bool(0.5) {
                set.remove(&id);
            } else {
                set.insert(id, None);
            }
        }
    }

    fn score(&self, set: &Set) -> Result<Score, ScoreError> {
        self.inst.score(&responses(set))
    }

    /// How far a default-options score is from the goal (0 = reached).
    fn distance(&self, goal: &Goal, set: &Set) -> f64 {
        let scored = self.score(set);
        match goal {
            Goal::Value(q, t) => scored
                .ok()
                .and_then(|s| q.read(&s))
                .map_or(f64::INFINITY, |v| (v - t).abs()),
            Goal::RiskRule(id, want) => {
                let raised = self
                    .inst
                    .risk_flags(&responses(set))
                    .is_ok_and(|f| f.iter().any(|f| &f.rule == id));
                if raised == *want { 0.0 } else { 1.0 }
            }
            Goal::Rule(id, want) => {
                let met = scored
                    .ok()
                    .and_then(|s| s.rules.iter().find(|r| &r.id == id).and_then(|r| r.met));
                if met == Some(*want) { 0.0 } else { 1.0 }
            }
        }
    }

    /// Random single-item changes that never move away from the goal. Unanswered items stay
    /// unanswered, so a target reached with missing items is a prorated or mean edge.
    fn climb(&mut self, goal: &Goal, mut set: Set) -> Set {
        let mut best = self.distance(goal, &set);
        for _ in 0..400 {
            if best == 0.0 {
                break;
            }
            let answered: Vec<usize> = (0..self.items.len())
                .filter(|&k| set.get(&self.items[k].id).is_some_and(Option::is_some))
                .collect();
            let Some(&k) = answered.choose(&mut self.rng) else {
                break;
            };
            let code = self.uniform(k);
            let mut next = set.clone();
            next.insert(self.items[k].id.clone(), Some(code));
            let d = self.distance(goal, &next);
            if d <= best {
                best = d;
                set = next;
            }
        }
        set
    }

    fn targeted(&mut self, goal: &Goal) -> Set {
        let level = match goal {
            Goal::RiskRule(_, true) | Goal::Rule(_, true) => 0.0,
            Goal::RiskRule(_, false) | Goal::Rule(_, false) => 1.0,
            Goal::Value(..) => self.rng.random(),
        };
        let mut set = self.full(Some(level));
        // Risk rules can name unscored items: give the climb every item to work with.
        for k in 0..self.items.len() {
            let id = self.items[k].id.clone();
            if let std::collections::btree_map::Entry::Vacant(e) = set.entry(id) {
                e.insert(Some(self.near(k, level)));
            }
        }
        if matches!(goal, Goal::Value(..)) {
            let allowed = self.inst.def().scoring.max_missing as usize;
            let n = self.rng.random_range(0..=allowed);
            self.drop_scored(&mut set, n);
        }
        self.climb(goal, set)
    }

    /// A code the item does not allow: just outside, in a gap, or extreme.
    fn bad_code(&mut self, k: usize) -> i32 {
        let codes = self.items[k].codes.clone();
        let (lo, hi) = (codes[0], codes[codes.len() - 1]);
        let mut candidates = vec![lo - 1, hi + 1, hi + 10, -7, 1000, i32::MIN, i32::MAX];
        candidates.extend((lo..hi).filter(|c| !codes.contains(c)));
        candidates.retain(|c| !codes.contains(c));
        *candidates.choose(&mut self.rng).unwrap()
    }

    fn unknown_id(&mut self) -> String {
        const IDS: [&str; 14] = [
            "0",
            "99",
            "x",
            "",
            " 1",
            "1 ",
            "01",
            "Item 1",
            "é",
            "९",
            "constructor",
            "__proto__",
            "toString",
            "hasOwnProperty",
        ];
        loop {
            let id = IDS.choose(&mut self.rng).unwrap().to_string();
            if !self.items.iter().any(|i| i.id == id) {
                return id;
            }
        }
    }

    fn options(&mut self) -> ScoreOptions {
        let def = self.inst.def();
        let codings: Vec<String> = def.scoring.codings.iter().map(|c| c.id.clone()).collect();
        let cutoffs: Vec<(String, f64)> = def
            .cutoffs
            .iter()
            .map(|c| (c.id.clone(), c.threshold))
            .collect();
        let mut o = ScoreOptions::default();
        let r: f64 = self.rng.random();
        if r < 0.1 {
            o.coding = Some("no_such_coding".into());
        } else if r < 0.7 && !codings.is_empty() {
            o.coding = codings.choose(&mut self.rng).cloned();
        }
        let r: f64 = self.rng.random();
        if r < 0.1 {
            o.cutoff = Some("no_such_cutoff".into());
        } else if r < 0.6 && !cutoffs.is_empty() {
            o.cutoff = cutoffs.choose(&mut self.rng).map(|c| c.0.clone());
        }
        if self.rng.random_bool(0.5) && !cutoffs.is_empty() {
            for _ in 0..self.rng.random_range(1..=2) {
                let (id, t) = cutoffs.choose(&mut self.rng).unwrap().clone();
                let step = *[-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.25]
                    .choose(&mut self.rng)
                    .unwrap();
                o.thresholds.insert(id, t + step);
            }
        }
        if self.rng.random_bool(0.05) {
            o.thresholds.insert("no_such_cutoff_either".into(), 1.0);
        }
        o.sex = *[None, Some(Sex::Male), Some(Sex::Female)]
            .choose(&mut self.rng)
            .unwrap();
        o
    }

    /// One case: responses and the options to score them with (`None`: the defaults).
    fn case(&mut self, i: usize) -> (Set, Option<ScoreOptions>) {
        // The first cases reach every goal once, so coverage does not depend on luck.
        if i < self.goals.len() {
            let goal = self.goals[i].clone();
            return (self.targeted(&goal), None);
        }
        let n_scored = self.n_scored();
        let roll = self.rng.random_range(0..100);
        let level = self.rng.random::<f64>();
        let set = match roll {
            40..55 if !self.goals.is_empty() => {
                let goal = self.goals.choose(&mut self.rng).unwrap().clone();
                let mut set = self.targeted(&goal);
                // Red flags on an incomplete form.
                if matches!(goal, Goal::RiskRule(..)) && self.rng.random_bool(0.4) {
                    let n = self.rng.random_range(1..=n_scored);
                    self.drop_scored(&mut set, n);
                }
                set
            }
            0..20 | 40..55 => self.full(None),
            20..40 => self.full(Some(level)),
            55..80 => {
                let mut set = self.full(Some(level));
                let n = self.rng.random_range(1..=n_scored);
                self.drop_scored(&mut set, n);
                set
            }
            80..85 => {
                let mut set = self.full(Some(level));
                let k = self.rng.random_range(0..self.items.len());
                let code = self.bad_code(k);
                set.insert(self.items[k].id.clone(), Some(code));
                set
            }
            85..90 => {
                let mut set = self.full(Some(level));
                let id = self.unknown_id();
                let code = if self.rng.random_bool(0.3) {
                    None
                } else {
                    Some(1)
                };
                set.insert(id, code);
                if self.rng.random_bool(0.3) {
                    let k = self.rng.random_range(0..self.items.len());
                    let code = self.bad_code(k);
                    set.insert(self.items[k].id.clone(), Some(code));
                }
                set
            }
            _ => {
                let mut set = self.full(Some(level));
                if self.rng.random_bool(0.3) {
                    let n = self.rng.random_range(1..=n_scored);
                    self.drop_scored(&mut set, n);
                }
                let options = self.options();
                return (set, Some(options));
            }
        };
        (set, None)
    }
}

fn responses(set: &Set) -> Responses {
    set.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

/// What the cases reached, per instrument, checked before Node runs.
#[derive(Default)]
struct Coverage {
    bands: BTreeSet<(String, String)>,
    band_edges: BTreeSet<(String, String, &'static str)>,
    raised: BTreeSet<String>,
    not_raised: BTreeSet<String>,
    raised_incomplete: BTreeSet<String>,
    rules: BTreeSet<(String, bool)>,
    cutoffs: BTreeSet<(String, bool)>,
    errors: BTreeSet<&'static str>,
}

impl Coverage {
    fn add(&mut self, inst: &Instrument, result: &Result<Score, ScoreError>) {
        let def = inst.def();
        match result {
            Ok(s) => {
                let default_coding = def.scoring.codings.iter().find(|c| c.default);
                let total = s
                    .total_under(default_coding.map(|c| c.id.as_str()))
                    .unwrap();
                for b in &s.bands {
                    self.bands.insert((b.band_set.clone(), b.band.clone()));
                    let set = def.band_sets.iter().find(|x| x.id == b.band_set).unwrap();
                    let band = set.bands.iter().find(|x| x.id == b.band).unwrap();
                    for (edge, v) in [("min", band.min), ("max", band.max)] {
                        if total == v {
                            self.band_edges
                                .insert((b.band_set.clone(), b.band.clone(), edge));
                        }
                    }
                }
                for r in &def.risk_rules {
                    if s.has_risk_flag(&r.id) {
                        self.raised.insert(r.id.clone());
                    } else {
                        self.not_raised.insert(r.id.clone());
                    }
                }
                for r in &s.rules {
                    if let Some(m) = r.met {
                        self.rules.insert((r.id.clone(), m));
                    }
                }
                for c in &s.cutoffs {
                    if let Some(p) = c.positive {
                        self.cutoffs.insert((c.id.clone(), p));
                    }
                }
            }
            Err(e) => {
                self.errors.insert(error_kind(e));
                if let ScoreError::TooManyMissing { risk_flags, .. } = e {
                    for f in risk_flags {
                        self.raised.insert(f.rule.clone());
                        self.raised_incomplete.insert(f.rule.clone());
                    }
                }
            }
        }
    }

    fn check(&self, inst: &Instrument) {
        let def = inst.def();
        let code = inst.code();
        for set in &def.band_sets {
            for b in &set.bands {
                let key = (set.id.clone(), b.id.clone());
                assert!(self.bands.contains(&key), "{code}: band {key:?} never hit");
                // Sums are integers, so every edge is reachable; fractional totals need not
                // land exactly on a band's max.
                if def.scoring.method == Method::Sum {
                    for edge in ["min", "max"] {
                        let key = (set.id.clone(), b.id.clone(), edge);
                        assert!(
                            self.band_edges.contains(&key),
                            "{code}: band edge {key:?} never hit"
                        );
                    }
                }
            }
        }
        for r in &def.risk_rules {
            assert!(self.raised.contains(&r.id), "{code}: {} never raised", r.id);
            assert!(
                self.not_raised.contains(&r.id),
                "{code}: {} always raised",
                r.id
            );
        }
        for r in &def.rules {
            for m in [true, false] {
                let key = (r.id.clone(), m);
                assert!(self.rules.contains(&key), "{code}: rule {key:?} never seen");
            }
        }
        for c in &def.cutoffs {
            for p in [true, false] {
                let key = (c.id.clone(), p);
                assert!(
                    self.cutoffs.contains(&key),
                    "{code}: cut-off {key:?} never seen"
                );
            }
        }
        for kind in [
            "unknown_item",
            "code_out_of_range",
            "too_many_missing",
            "unknown_coding",
            "unknown_cutoff",
        ] {
            assert!(
                self.errors.contains(kind),
                "{code}: error {kind} never seen"
            );
        }
        // The red flag on a form too incomplete to total, for every single-item rule (a rule
        // counting several items may need more answers than such a form has).
        for r in &def.risk_rules {
            if r.when.item.is_some() {
                assert!(
                    self.raised_incomplete.contains(&r.id),
                    "{code}: {} never raised on a form too incomplete to total",
                    r.id
                );
            }
        }
    }
}

/// Writes the cases as JSON lines: `{"defs": ...}`, then one case per line. Returns the case
/// count per instrument.
fn write_cases(instruments: &[Instrument], path: &Path) -> BTreeMap<String, usize> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "{}", json!({ "defs": defs_json(instruments) })).unwrap();
    let mut counts = BTreeMap::new();
    for inst in instruments {
        let mut generator = Gen::new(inst);
        let mut coverage = Coverage::default();
        let n = CASES_PER_INSTRUMENT.max(generator.goals.len() + MIN_CASES);
        for i in 0..n {
            let (set, options) = generator.case(i);
            let r = responses(&set);
            let result = match &options {
                None => inst.score(&r),
                Some(o) => inst.score_with(&r, o),
            };
            coverage.add(inst, &result);
            let expected = match result {
                Ok(s) => serde_json::to_value(&s).unwrap(),
                Err(e) => error_json(e),
            };
            let mut case = json!({
                "instrument": inst.code(),
                "responses": set,
                "options": options,
                "expected": expected,
            });
            if options.is_none() {
                case["flags"] = match inst.risk_flags(&r) {
                    Ok(f) => serde_json::to_value(f).unwrap(),
                    Err(e) => error_json(e),
                };
            }
            writeln!(out, "{case}").unwrap();
        }
        coverage.check(inst);
        counts.insert(inst.code().to_string(), n);
    }
    out.flush().unwrap();
    counts
}

#[test]
fn js_scorer_agrees_with_rust_on_random_responses() {
    let instruments = instruments();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.jsonl");
    let written = write_cases(&instruments, &file);

    let script = js_dir().join("test/score_agreement.mjs");
    let out = node(&[script.as_os_str(), file.as_os_str()], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "score.js disagrees with the Rust scorer (node exit {:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );

    // Node's own count, so a runner that silently skipped cases cannot pass.
    let ran: BTreeMap<String, usize> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("cases "))
        .map(|l| {
            let (code, n) = l.split_once(' ').expect("cases CODE N");
            (code.to_string(), n.parse().expect("a count"))
        })
        .collect();
    for inst in &instruments {
        let n = ran.get(inst.code()).copied().unwrap_or(0);
        assert!(
            n >= MIN_CASES,
            "node ran {n} cases of {}, expected at least {MIN_CASES}:\n{stdout}",
            inst.code()
        );
        assert_eq!(Some(&n), written.get(inst.code()), "{}", inst.code());
    }
    println!("{stdout}");
}

#[test]
fn js_scorer_unit_tests_pass() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("instruments.json");
    std::fs::write(&file, defs_json(&instruments()).to_string()).unwrap();
    let script = js_dir().join("test/score.test.mjs");
    let out = node(
        &[std::ffi::OsStr::new("--test"), script.as_os_str()],
        &[("SCALEUP_INSTRUMENTS", &file)],
    );
    assert!(
        out.status.success(),
        "node --test score.test.mjs failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
