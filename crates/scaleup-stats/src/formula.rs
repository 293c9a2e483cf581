//! lme4-style model formulas: `y ~ x + f + x:f + a*b + (1 + x | g) + (1 || h) + (1 | a/b)`.
//!
//! The response is one column, or `cbind(successes, failures)` for aggregated binomial data as
//! in lme4's `glmer` (two column names; R expressions such as `cbind(k, n - k)` are refused,
//! so the caller computes the failures column first).
//!
//! Parsing follows R's operator precedence (`:` binds tighter than `*` and `/`, which bind
//! tighter than `+` and `-`) and R's term algebra: `a*b` is `a + b + a:b`, `a/b` is `a + a:b`,
//! `0 +` or `- 1` drops the intercept. Random-effect terms are expanded as lme4 does:
//! `(e || g)` becomes one independent term per effect (`(1|g) + (0 + x|g)`), and a nested
//! grouping `(e | a/b)` becomes `(e | a) + (e | a:b)`. Fixed terms are ordered by interaction
//! order, then by first appearance, as in R's `terms()`; variables inside an interaction are
//! ordered by their first appearance in the formula, which fixes column names such as `x:fB`.

use std::fmt;

use crate::frame::MAX_DESIGN_COLUMNS;

/// The most tokens a formula may have. Longer formulas are refused before parsing: the parser
/// and the term algebra recurse once per operator, so this also bounds their stack depth.
pub const MAX_FORMULA_TOKENS: usize = 2_000;

/// The most fixed-effect terms, random-effect terms or grouping factors a formula may expand
/// to. `a*b*c*...` doubles the terms with every factor; each term is at least one design
/// column, so a formula past [`MAX_DESIGN_COLUMNS`] terms could never be fitted anyway.
pub const MAX_FORMULA_TERMS: usize = MAX_DESIGN_COLUMNS;

/// A formula parse error, naming the 1-based character position and the offending token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("formula error at position {pos} near `{token}`: {message}")]
pub struct FormulaError {
    /// 1-based character position in the formula text.
    pub pos: usize,
    /// The token at that position (`<end>` at the end of the text).
    pub token: String,
    /// What was wrong.
    pub message: String,
}

/// One term: a main effect (one variable) or an interaction (several), e.g. `x:f`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Variables in the term, in order of first appearance in the formula.
    pub vars: Vec<String>,
}

impl Term {
    /// R's label for the term: variables joined by `:`.
    pub fn label(&self) -> String {
        self.vars.join(":")
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// A random-effects term `(effects | group)` after expansion of `||` and `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomTerm {
    /// Whether the term has a random intercept.
    pub intercept: bool,
    /// Non-intercept effects, ordered like fixed terms.
    pub effects: Vec<Term>,
    /// The grouping factor (an interaction such as `a:b` for nested or interaction grouping).
    pub group: Term,
    /// lme4's name for the grouping factor: `a:b` for an interaction, and for a nested
    /// expansion the inner factor with the outer one in parentheses when it is itself an
    /// interaction, e.g. `c:(b:a)` from `(1 | a/b/c)`.
    pub group_label: String,
    /// False when the term came from `||` (each effect then has its own term).
    pub correlated: bool,
}

/// The left-hand side of a formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// One numeric column.
    Column(String),
    /// `cbind(successes, failures)`: binomial counts per row, as lme4's `glmer` takes them.
    Counts {
        /// Column of successes.
        successes: String,
        /// Column of failures (trials = successes + failures).
        failures: String,
    },
}

impl Response {
    /// The response as R prints it: the column name, or `cbind(successes, failures)`.
    pub fn label(&self) -> String {
        match self {
            Response::Column(name) => name.clone(),
            Response::Counts {
                successes,
                failures,
            } => format!("cbind({successes}, {failures})"),
        }
    }

    /// The columns the response reads, in formula order.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Response::Column(name) => vec![name.as_str()],
            Response::Counts {
                successes,
                failures,
            } => vec![successes.as_str(), failures.as_str()],
        }
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    /// The response: one column, or binomial counts.
    pub response: Response,
    /// Whether the fixed part has an intercept.
    pub intercept: bool,
    /// Fixed-effect terms in R's order.
    pub fixed: Vec<Term>,
    /// Random-effect terms, in formula order (after expansion).
    pub random: Vec<RandomTerm>,
}

impl Formula {
    /// Parses an lme4-style formula.
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        let tokens = tokenize(text)?;
        let mut p = Parser {
            tokens,
            at: 0,
            vars: Vec::new(),
        };
        // `cbind(` opens the only function call a formula may contain; it is read here, apart
        // from the term algebra, because its arguments are columns rather than terms.
        let counts = p.cbind_response()?;
        let lhs = match counts {
            Some(_) => None,
            None => Some(p.sum()?),
        };
        let tilde = p.peek().clone();
        if tilde.kind != Tok::Tilde {
            return Err(p.error_at(&tilde, "expected `~` after the response"));
        }
        p.at += 1;
        let rhs = p.sum()?;
        let end = p.peek().clone();
        if end.kind != Tok::End {
            return Err(p.error_at(&end, "unexpected token"));
        }
        let response = match (lhs, counts) {
            (_, Some(response)) => response,
            (Some(Expr::Var(_, name)), None) => Response::Column(name),
            (Some(other), None) => {
                return Err(FormulaError {
                    pos: other.pos(),
                    token: p.token_text(other.pos()),
                    message:
                        "the response must be a single variable or `cbind(successes, failures)`"
                            .into(),
                });
            }
            (None, None) => unreachable!("a left-hand side is read unless cbind was"),
        };
        // Variable ids follow first appearance on the right-hand side.
        let mut summands = Vec::new();
        flatten_sum(rhs, &mut summands);
        let mut fixed_parts = Vec::new();
        let mut random = Vec::new();
        for (sign, e) in summands {
            match e {
                Expr::Bar {
                    pos,
                    lhs,
                    group,
                    double,
                } => {
                    if !sign {
                        return Err(p.error_pos(pos, "a random-effects term cannot be subtracted"));
                    }
                    let effects = p.eval(&lhs)?;
                    let intercept = effects.intercept.unwrap_or(true);
                    let groups = p.eval_group(&group)?;
                    let mut eff_terms = effects.terms;
                    sort_terms(&mut eff_terms);
                    let expanded = if double {
                        groups.len().saturating_mul(eff_terms.len() + 1)
                    } else {
                        groups.len()
                    };
                    if random.len().saturating_add(expanded) > MAX_FORMULA_TERMS {
                        return Err(p.error_pos(
                            pos,
                            &format!("the formula expands to more than {MAX_FORMULA_TERMS} terms"),
                        ));
                    }
                    for (g, group_label) in groups {
                        let group = p.term(&g);
                        let effs: Vec<Term> = eff_terms.iter().map(|t| p.term(t)).collect();
                        if double {
                            if intercept {
                                random.push(RandomTerm {
                                    intercept: true,
                                    effects: vec![],
                                    group: group.clone(),
                                    group_label: group_label.clone(),
                                    correlated: false,
                                });
                            }
                            for e in effs {
                                random.push(RandomTerm {
                                    intercept: false,
                                    effects: vec![e],
                                    group: group.clone(),
                                    group_label: group_label.clone(),
                                    correlated: false,
                                });
                            }
                        } else {
                            if !intercept && effs.is_empty() {
                                return Err(p.error_pos(pos, "random-effects term has no effects"));
                            }
                            random.push(RandomTerm {
                                intercept,
                                effects: effs,
                                group,
                                group_label,
                                correlated: true,
                            });
                        }
                    }
                }
                other => fixed_parts.push((sign, other)),
            }
        }
        let mut set = TermSet::default();
        for (sign, e) in fixed_parts {
            let s = p.eval(&e)?;
            set = if sign { set.add(s) } else { set.sub(s) };
        }
        let mut terms = set.terms;
        sort_terms(&mut terms);
        let fixed = terms.iter().map(|t| p.term(t)).collect();
        Ok(Formula {
            response,
            intercept: set.intercept.unwrap_or(true),
            fixed,
            random,
        })
    }

    /// Every variable the formula uses: response, fixed, random effects and grouping factors,
    /// without duplicates, in that order.
    pub fn variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.response.columns() {
            if !out.iter().any(|o| o == c) {
                out.push(c.to_string());
            }
        }
        let mut push = |v: &String| {
            if !out.contains(v) {
                out.push(v.clone());
            }
        };
        for t in &self.fixed {
            t.vars.iter().for_each(&mut push);
        }
        for r in &self.random {
            r.effects
                .iter()
                .flat_map(|t| t.vars.iter())
                .for_each(&mut push);
            r.group.vars.iter().for_each(&mut push);
        }
        out
    }

    /// Names of the grouping variables (always treated as factors).
    pub fn grouping_variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.random {
            for v in &r.group.vars {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
        }
        out
    }
}

fn sort_terms(terms: &mut [Vec<usize>]) {
    // Stable: within one interaction order, terms keep their order of appearance.
    terms.sort_by_key(|t| t.len());
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(String),
    Plus,
    Minus,
    Star,
    Slash,
    Colon,
    Caret,
    Tilde,
    Comma,
    Bar,
    DoubleBar,
    LParen,
    RParen,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    pos: usize,
    text: String,
}

fn tokenize(text: &str) -> Result<Vec<Token>, FormulaError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if out.len() >= MAX_FORMULA_TOKENS {
            return Err(FormulaError {
                pos,
                token: c.to_string(),
                message: format!(
                    "the formula is too long (at most {MAX_FORMULA_TOKENS} names, numbers and operators)"
                ),
            });
        }
        let simple = match c {
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            ':' => Some(Tok::Colon),
            '^' => Some(Tok::Caret),
            '~' => Some(Tok::Tilde),
            ',' => Some(Tok::Comma),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            _ => None,
        };
        if let Some(kind) = simple {
            out.push(Token {
                kind,
                pos,
                text: c.to_string(),
            });
            i += 1;
            continue;
        }
        if c == '|' {
            if chars.get(i + 1) == Some(&'|') {
                out.push(Token {
                    kind: Tok::DoubleBar,
                    pos,
                    text: "||".into(),
                });
                i += 2;
            } else {
                out.push(Token {
                    kind: Tok::Bar,
                    pos,
                    text: "|".into(),
                });
                i += 1;
            }
            continue;
        }
        if c == '`' {
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && chars[j] != '`' {
                j += 1;
            }
            if j >= chars.len() {
                return Err(FormulaError {
                    pos,
                    token: "`".into(),
                    message: "unterminated back-quoted name".into(),
                });
            }
            let name: String = chars[start..j].iter().collect();
            out.push(Token {
                kind: Tok::Ident(name.clone()),
                pos,
                text: format!("`{name}`"),
            });
            i = j + 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            let s: String = chars[i..j].iter().collect();
            out.push(Token {
                kind: Tok::Num(s.clone()),
                pos,
                text: s,
            });
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '.' || c == '_' {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_alphanumeric() || chars[j] == '.' || chars[j] == '_')
            {
                j += 1;
            }
            let s: String = chars[i..j].iter().collect();
            out.push(Token {
                kind: Tok::Ident(s.clone()),
                pos,
                text: s,
            });
            i = j;
            continue;
        }
        return Err(FormulaError {
            pos,
            token: c.to_string(),
            message: "unexpected character".into(),
        });
    }
    out.push(Token {
        kind: Tok::End,
        pos: chars.len() + 1,
        text: "<end>".into(),
    });
    Ok(out)
}

#[derive(Debug, Clone)]
enum Expr {
    Var(usize, String),
    Num(usize, String),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Neg(usize, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Inter(Box<Expr>, Box<Expr>),
    Bar {
        pos: usize,
        lhs: Box<Expr>,
        group: Box<Expr>,
        double: bool,
    },
}

impl Expr {
    fn pos(&self) -> usize {
        match self {
            Expr::Var(p, _) | Expr::Num(p, _) | Expr::Neg(p, _) => *p,
            Expr::Bar { pos, .. } => *pos,
            Expr::Add(a, _) | Expr::Sub(a, _) | Expr::Mul(a, _) | Expr::Div(a, _) => a.pos(),
            Expr::Inter(a, _) => a.pos(),
        }
    }
}

/// Splits a right-hand side into signed summands (`true` = added).
fn flatten_sum(e: Expr, out: &mut Vec<(bool, Expr)>) {
    match e {
        Expr::Add(a, b) => {
            flatten_sum(*a, out);
            flatten_sum(*b, out);
        }
        Expr::Sub(a, b) => {
            flatten_sum(*a, out);
            out.push((false, *b));
        }
        Expr::Neg(_, b) => out.push((false, *b)),
        other => out.push((true, other)),
    }
}

#[derive(Debug, Default, Clone)]
struct TermSet {
    /// Terms as sorted variable ids.
    terms: Vec<Vec<usize>>,
    /// `Some(true)` for `1`, `Some(false)` for `0` / `-1`, `None` when not mentioned.
    intercept: Option<bool>,
}

impl TermSet {
    fn add(mut self, other: TermSet) -> TermSet {
        for t in other.terms {
            if !self.terms.contains(&t) {
                self.terms.push(t);
            }
        }
        if other.intercept.is_some() {
            self.intercept = other.intercept;
        }
        self
    }

    fn sub(mut self, other: TermSet) -> TermSet {
        self.terms.retain(|t| !other.terms.contains(t));
        match other.intercept {
            Some(true) => self.intercept = Some(false),
            Some(false) => self.intercept = Some(true),
            None => {}
        }
        self
    }

    fn interact(&self, other: &TermSet) -> TermSet {
        let mut out = TermSet::default();
        for a in &self.terms {
            for b in &other.terms {
                let mut t: Vec<usize> = a.iter().chain(b.iter()).copied().collect();
                t.sort_unstable();
                t.dedup();
                if !out.terms.contains(&t) {
                    out.terms.push(t);
                }
            }
        }
        out
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    vars: Vec<String>,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at]
    }

    fn error_at(&self, t: &Token, msg: &str) -> FormulaError {
        FormulaError {
            pos: t.pos,
            token: t.text.clone(),
            message: msg.into(),
        }
    }

    fn token_text(&self, pos: usize) -> String {
        self.tokens
            .iter()
            .find(|t| t.pos == pos)
            .map(|t| t.text.clone())
            .unwrap_or_default()
    }

    fn error_pos(&self, pos: usize, msg: &str) -> FormulaError {
        FormulaError {
            pos,
            token: self.token_text(pos),
            message: msg.into(),
        }
    }

    fn var_id(&mut self, name: &str) -> usize {
        match self.vars.iter().position(|v| v == name) {
            Some(k) => k,
            None => {
                self.vars.push(name.to_string());
                self.vars.len() - 1
            }
        }
    }

    fn term(&self, ids: &[usize]) -> Term {
        Term {
            vars: ids.iter().map(|k| self.vars[*k].clone()).collect(),
        }
    }

    /// Reads `cbind(successes, failures)` at the start of the formula, if it is there.
    fn cbind_response(&mut self) -> Result<Option<Response>, FormulaError> {
        let is_cbind = matches!(&self.peek().kind, Tok::Ident(name) if name == "cbind")
            && self.tokens.get(self.at + 1).map(|t| &t.kind) == Some(&Tok::LParen);
        if !is_cbind {
            return Ok(None);
        }
        self.at += 2;
        let mut columns = Vec::with_capacity(2);
        for separator in [Tok::Comma, Tok::RParen] {
            let t = self.peek().clone();
            let Tok::Ident(name) = &t.kind else {
                return Err(self.error_at(
                    &t,
                    "cbind takes two column names (successes, failures); compute other expressions as columns first",
                ));
            };
            columns.push(name.clone());
            self.at += 1;
            let next = self.peek().clone();
            if next.kind != separator {
                let what = if separator == Tok::Comma {
                    "expected `,` between the successes and failures columns of cbind"
                } else {
                    "expected `)`: cbind takes two column names (successes, failures); compute other expressions as columns first"
                };
                return Err(self.error_at(&next, what));
            }
            self.at += 1;
        }
        let failures = columns.pop().expect("two columns were read");
        let successes = columns.pop().expect("two columns were read");
        Ok(Some(Response::Counts {
            successes,
            failures,
        }))
    }

    fn sum(&mut self) -> Result<Expr, FormulaError> {
        let mut lhs = if self.peek().kind == Tok::Minus {
            let pos = self.peek().pos;
            self.at += 1;
            Expr::Neg(pos, Box::new(self.product()?))
        } else {
            if self.peek().kind == Tok::Plus {
                self.at += 1;
            }
            self.product()?
        };
        loop {
            match self.peek().kind {
                Tok::Plus => {
                    self.at += 1;
                    lhs = Expr::Add(Box::new(lhs), Box::new(self.product()?));
                }
                Tok::Minus => {
                    self.at += 1;
                    lhs = Expr::Sub(Box::new(lhs), Box::new(self.product()?));
                }
                _ => return Ok(lhs),
            }
        }
    }

    fn product(&mut self) -> Result<Expr, FormulaError> {
        let mut lhs = self.interaction()?;
        loop {
            match self.peek().kind {
                Tok::Star => {
                    self.at += 1;
                    lhs = Expr::Mul(Box::new(lhs), Box::new(self.interaction()?));
                }
                Tok::Slash => {
                    self.at += 1;
                    lhs = Expr::Div(Box::new(lhs), Box::new(self.interaction()?));
                }
                Tok::Caret => {
                    let t = self.peek().clone();
                    return Err(self.error_at(&t, "the `^` operator is not supported"));
                }
                _ => return Ok(lhs),
            }
        }
    }

    fn interaction(&mut self) -> Result<Expr, FormulaError> {
        let mut lhs = self.atom()?;
        while self.peek().kind == Tok::Colon {
            self.at += 1;
            lhs = Expr::Inter(Box::new(lhs), Box::new(self.atom()?));
        }
        Ok(lhs)
    }

    fn atom(&mut self) -> Result<Expr, FormulaError> {
        let t = self.peek().clone();
        match &t.kind {
            Tok::Ident(name) => {
                self.at += 1;
                if self.peek().kind == Tok::LParen {
                    return Err(self.error_at(
                        &t,
                        "function calls are not supported in formulas; compute the variable first",
                    ));
                }
                self.var_id(name);
                Ok(Expr::Var(t.pos, name.clone()))
            }
            Tok::Num(s) => {
                self.at += 1;
                Ok(Expr::Num(t.pos, s.clone()))
            }
            Tok::LParen => {
                self.at += 1;
                let inner = self.sum()?;
                let next = self.peek().clone();
                let e = match next.kind {
                    Tok::Bar | Tok::DoubleBar => {
                        self.at += 1;
                        let group = self.sum()?;
                        Expr::Bar {
                            pos: t.pos,
                            lhs: Box::new(inner),
                            group: Box::new(group),
                            double: next.kind == Tok::DoubleBar,
                        }
                    }
                    _ => inner,
                };
                let close = self.peek().clone();
                if close.kind != Tok::RParen {
                    return Err(self.error_at(&close, "expected `)`"));
                }
                self.at += 1;
                Ok(e)
            }
            Tok::End => Err(self.error_at(&t, "unexpected end of formula")),
            _ => Err(self.error_at(&t, "expected a variable, a number or `(`")),
        }
    }

    fn eval(&mut self, e: &Expr) -> Result<TermSet, FormulaError> {
        let set = self.eval_unbounded(e)?;
        if set.terms.len() > MAX_FORMULA_TERMS {
            return Err(self.too_many_terms(e));
        }
        Ok(set)
    }

    fn eval_unbounded(&mut self, e: &Expr) -> Result<TermSet, FormulaError> {
        Ok(match e {
            Expr::Var(_, name) => TermSet {
                terms: vec![vec![self.var_id(name)]],
                intercept: None,
            },
            Expr::Num(pos, s) => match s.as_str() {
                "1" => TermSet {
                    terms: vec![],
                    intercept: Some(true),
                },
                "0" => TermSet {
                    terms: vec![],
                    intercept: Some(false),
                },
                _ => return Err(self.error_pos(*pos, "only the numbers 0 and 1 may appear")),
            },
            Expr::Add(a, b) => {
                let a = self.eval(a)?;
                a.add(self.eval(b)?)
            }
            Expr::Sub(a, b) => {
                let a = self.eval(a)?;
                a.sub(self.eval(b)?)
            }
            Expr::Neg(_, b) => TermSet::default().sub(self.eval(b)?),
            Expr::Mul(a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                self.no_number(&a, e)?;
                self.no_number(&b, e)?;
                let ab = self.interact(&a, &b, e)?;
                a.add(b).add(ab)
            }
            Expr::Div(a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                self.no_number(&a, e)?;
                self.no_number(&b, e)?;
                let mut all: Vec<usize> = a.terms.iter().flatten().copied().collect();
                all.sort_unstable();
                all.dedup();
                let outer = TermSet {
                    terms: vec![all],
                    intercept: None,
                };
                let nested = self.interact(&outer, &b, e)?;
                a.add(nested)
            }
            Expr::Inter(a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                self.no_number(&a, e)?;
                self.no_number(&b, e)?;
                self.interact(&a, &b, e)?
            }
            Expr::Bar { pos, .. } => {
                return Err(self.error_pos(
                    *pos,
                    "a random-effects term must be a top-level summand of the right-hand side",
                ));
            }
        })
    }

    /// Grouping expressions keep lme4's variable order: `a/b` gives `a` and `b:a` (inner
    /// factor first, as lme4's `expandSlash`), `a:b` stays `a:b`, `a + b` gives both.
    fn eval_group(&mut self, e: &Expr) -> Result<Vec<(Vec<usize>, String)>, FormulaError> {
        let groups = self.eval_group_unbounded(e)?;
        if groups.len() > MAX_FORMULA_TERMS {
            return Err(self.too_many_terms(e));
        }
        Ok(groups)
    }

    fn eval_group_unbounded(
        &mut self,
        e: &Expr,
    ) -> Result<Vec<(Vec<usize>, String)>, FormulaError> {
        Ok(match e {
            Expr::Var(_, name) => vec![(vec![self.var_id(name)], name.clone())],
            Expr::Inter(a, b) => {
                let (a, b) = (self.eval_group(a)?, self.eval_group(b)?);
                if a.len().saturating_mul(b.len()) > MAX_FORMULA_TERMS {
                    return Err(self.too_many_terms(e));
                }
                let mut out = Vec::new();
                for (x, lx) in &a {
                    for (y, ly) in &b {
                        let mut t = x.clone();
                        t.extend(y.iter().filter(|v| !x.contains(v)));
                        out.push((t, format!("{lx}:{ly}")));
                    }
                }
                out
            }
            Expr::Div(a, b) => {
                let a = self.eval_group(a)?;
                let b = self.eval_group(b)?;
                // The outer term is the last (deepest) term of `a`, e.g. `b:a` in `a/b/c`.
                let (outer, outer_label) = a.last().cloned().unwrap_or_default();
                let outer_label = if outer.len() > 1 {
                    format!("({outer_label})")
                } else {
                    outer_label
                };
                let mut out = a;
                for (y, ly) in &b {
                    let mut t = y.clone();
                    t.extend(outer.iter().filter(|v| !y.contains(v)));
                    out.push((t, format!("{ly}:{outer_label}")));
                }
                out
            }
            Expr::Add(a, b) => {
                let mut a = self.eval_group(a)?;
                for t in self.eval_group(b)? {
                    if !a.iter().any(|(x, _)| *x == t.0) {
                        a.push(t);
                    }
                }
                a
            }
            other => {
                return Err(self.error_pos(
                    other.pos(),
                    "a grouping factor must be a variable, `a:b` or `a/b`",
                ));
            }
        })
    }

    /// `a:b` of two term sets, refused before the work when the product is too large.
    fn interact(&self, a: &TermSet, b: &TermSet, e: &Expr) -> Result<TermSet, FormulaError> {
        if a.terms.len().saturating_mul(b.terms.len()) > MAX_FORMULA_TERMS {
            return Err(self.too_many_terms(e));
        }
        Ok(a.interact(b))
    }

    fn too_many_terms(&self, e: &Expr) -> FormulaError {
        self.error_pos(
            e.pos(),
            &format!("the formula expands to more than {MAX_FORMULA_TERMS} terms"),
        )
    }

    fn no_number(&self, s: &TermSet, e: &Expr) -> Result<(), FormulaError> {
        if s.intercept.is_some() {
            Err(self.error_pos(e.pos(), "numbers cannot take part in `*`, `/` or `:`"))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(f: &Formula) -> Vec<String> {
        f.fixed.iter().map(|t| t.label()).collect()
    }

    fn rand(f: &Formula) -> Vec<String> {
        f.random
            .iter()
            .map(|r| {
                let mut e: Vec<String> = r.effects.iter().map(|t| t.label()).collect();
                if r.intercept {
                    e.insert(0, "1".into());
                } else {
                    e.insert(0, "0".into());
                }
                format!(
                    "({} {} {})",
                    e.join(" + "),
                    if r.correlated { "|" } else { "||" },
                    r.group_label
                )
            })
            .collect()
    }

    #[test]
    fn fixed_terms_follow_r_order() {
        let f = Formula::parse("y ~ x + f + x:f + a*b").unwrap();
        assert_eq!(f.response, Response::Column("y".into()));
        assert!(f.intercept);
        assert_eq!(labels(&f), ["x", "f", "a", "b", "x:f", "a:b"]);
        let f = Formula::parse("y ~ f:x + x + f").unwrap();
        assert_eq!(labels(&f), ["x", "f", "f:x"]);
    }

    #[test]
    fn intercept_can_be_dropped() {
        assert!(!Formula::parse("y ~ 0 + x").unwrap().intercept);
        assert!(!Formula::parse("y ~ x - 1").unwrap().intercept);
        assert!(!Formula::parse("y ~ -1 + x").unwrap().intercept);
        assert!(Formula::parse("y ~ 1 + x").unwrap().intercept);
        assert_eq!(
            labels(&Formula::parse("y ~ a*b - a:b").unwrap()),
            ["a", "b"]
        );
    }

    #[test]
    fn random_terms_expand_like_lme4() {
        let f = Formula::parse("y ~ x + (1 + x | g) + (1 + x || h) + (1 | a/b) + (0 + x | a:b)")
            .unwrap();
        assert_eq!(labels(&f), ["x"]);
        assert_eq!(
            rand(&f),
            [
                "(1 + x | g)",
                "(1 || h)",
                "(0 + x || h)",
                "(1 | a)",
                "(1 | b:a)",
                "(0 + x | a:b)"
            ]
        );
        let f = Formula::parse("y ~ (x | g)").unwrap();
        assert_eq!(rand(&f), ["(1 + x | g)"]);
        assert_eq!(f.grouping_variables(), ["g"]);
        let f = Formula::parse("y ~ (1 | a/b/c)").unwrap();
        assert_eq!(rand(&f), ["(1 | a)", "(1 | b:a)", "(1 | c:(b:a))"]);
        assert_eq!(f.random[2].group.vars, ["c", "b", "a"]);
    }

    #[test]
    fn cbind_response_names_two_count_columns() {
        let f = Formula::parse("cbind(remitted, not_remitted) ~ arm + (1 | site)").unwrap();
        assert_eq!(
            f.response,
            Response::Counts {
                successes: "remitted".into(),
                failures: "not_remitted".into()
            }
        );
        assert_eq!(f.response.label(), "cbind(remitted, not_remitted)");
        assert_eq!(labels(&f), ["arm"]);
        assert_eq!(f.variables(), ["remitted", "not_remitted", "arm", "site"]);
        // Expressions inside cbind are R code this parser does not evaluate.
        let e = Formula::parse("cbind(k, n - k) ~ x").unwrap_err();
        assert_eq!((e.pos, e.token.as_str()), (12, "-"));
        let e = Formula::parse("cbind(k) ~ x").unwrap_err();
        assert_eq!(e.token, ")");
        // cbind elsewhere is still a function call, and a comma outside cbind is an error.
        assert_eq!(
            Formula::parse("y ~ cbind(a, b)").unwrap_err().token,
            "cbind"
        );
        assert_eq!(Formula::parse("y ~ a, b").unwrap_err().token, ",");
    }

    #[test]
    fn errors_name_position_and_token() {
        let e = Formula::parse("y ~ x + + ").unwrap_err();
        assert_eq!(e.pos, 9);
        assert_eq!(e.token, "+");
        let e = Formula::parse("y ~ x + (1 | g").unwrap_err();
        assert_eq!(e.token, "<end>");
        let e = Formula::parse("y ~ x $ z").unwrap_err();
        assert_eq!((e.pos, e.token.as_str()), (7, "$"));
        let e = Formula::parse("y ~ log(x)").unwrap_err();
        assert_eq!(e.token, "log");
        let e = Formula::parse("y ~ x:(1|g)").unwrap_err();
        assert!(e.message.contains("top-level"), "{e}");
        assert!(Formula::parse("y x").is_err());
    }

    // Found by fuzzing: each `*` doubles the term set, so 20-odd distinct factors ran for
    // minutes and exhausted memory instead of failing.
    #[test]
    fn exponential_interactions_are_refused() {
        let vars: Vec<String> = (0..30).map(|i| format!("x{i}")).collect();
        let err = Formula::parse(&format!("y ~ {}", vars.join("*"))).unwrap_err();
        assert!(err.message.contains("more than"), "{err}");
        let err = Formula::parse(&format!("y ~ ({})^2", vars.join("+"))).unwrap_err();
        assert!(err.message.contains("not supported"), "{err}");
        let side: Vec<String> = (0..60).map(|i| format!("g{i}")).collect();
        let groups = format!("({}):({})", side.join("+"), side.join("+"));
        let err = Formula::parse(&format!("y ~ x + (1 | {groups})")).unwrap_err();
        assert!(err.message.contains("more than"), "{err}");
        let effects: Vec<String> = (0..50).map(|i| format!("e{i}")).collect();
        let err = Formula::parse(&format!(
            "y ~ x + ({} || {})",
            effects.join("+"),
            side.join("+")
        ))
        .unwrap_err();
        assert!(err.message.contains("more than"), "{err}");
    }

    #[test]
    fn overlong_and_deeply_nested_formulas_are_bounded() {
        let long = format!("y ~ {}", vec!["x"; 50_000].join(" + "));
        let err = Formula::parse(&long).unwrap_err();
        assert!(err.message.contains("too long"), "{err}");
        // Just under the limit, nesting and chains recurse without exhausting a test thread's
        // stack.
        let nested = format!("y ~ {}x{}", "(".repeat(990), ")".repeat(990));
        assert_eq!(labels(&Formula::parse(&nested).unwrap()), ["x"]);
        let chain = format!("y ~ {}", vec!["x"; 990].join(" + "));
        assert_eq!(labels(&Formula::parse(&chain).unwrap()), ["x"]);
        let minus = format!("y ~ x {}", "- ".repeat(900) + "z");
        let _ = Formula::parse(&minus);
    }
}
