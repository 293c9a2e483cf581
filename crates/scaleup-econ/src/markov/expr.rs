//! Arithmetic expressions in model cells, such as `"1 - p_recover"` or `"350/1734 * rr"`.
//!
//! Grammar (usual precedence, `^` binds tighter than unary minus on its left operand and is
//! right-associative):
//!
//! ```text
//! expr   := term (("+" | "-") term)*
//! term   := unary (("*" | "/") unary)*
//! unary  := "-" unary | power
//! power  := atom ("^" unary)?
//! atom   := number | name | name "[" integer "]" | func "(" expr ("," expr)* ")" | "(" expr ")"
//! func   := exp | ln | log | sqrt | min | max
//! ```
//!
//! The name `cycle` is the current cycle number t (1-based); a cell that uses it makes its
//! phase time-dependent (re-evaluated every cycle). A bare `name` refers to a scalar parameter; `name[i]` to component `i` (1-based, as in the
//! order of the `alpha` or `mean` list) of a Dirichlet parameter. Expressions without names are
//! folded to a constant when the model is loaded.

/// A compiled expression. Parameter references are resolved to slots in the flat parameter
/// vector, so evaluation is a tree walk over numbers only.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Const(f64),
    Slot(usize),
    /// The current cycle number t (1-based), for time-dependent cells.
    Cycle,
    Neg(Box<Expr>),
    /// Integer power, much cheaper than `powf` (for example `hr^3`).
    PowI(Box<Expr>, i32),
    Bin(Op, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Func {
    Exp,
    Ln,
    Sqrt,
    Min,
    Max,
}

/// How names in expressions are resolved to slots.
pub(crate) trait Resolver {
    /// Slot of a scalar parameter, or an error message.
    fn scalar(&self, name: &str) -> Result<usize, String>;
    /// Slot of component `index` (1-based) of a vector parameter, or an error message.
    fn component(&self, name: &str, index: usize) -> Result<usize, String>;
}

impl Expr {
    /// Evaluates the expression with parameter values `slots` at cycle `cycle`.
    pub(crate) fn eval(&self, slots: &[f64], cycle: f64) -> f64 {
        match self {
            Expr::Const(v) => *v,
            Expr::Slot(i) => slots[*i],
            Expr::Cycle => cycle,
            Expr::Neg(e) => -e.eval(slots, cycle),
            Expr::PowI(e, k) => e.eval(slots, cycle).powi(*k),
            Expr::Bin(op, a, b) => {
                let (x, y) = (a.eval(slots, cycle), b.eval(slots, cycle));
                match op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div => x / y,
                    Op::Pow => x.powf(y),
                }
            }
            Expr::Call(f, args) => match f {
                Func::Exp => args[0].eval(slots, cycle).exp(),
                Func::Ln => args[0].eval(slots, cycle).ln(),
                Func::Sqrt => args[0].eval(slots, cycle).sqrt(),
                Func::Min => args
                    .iter()
                    .map(|a| a.eval(slots, cycle))
                    .fold(f64::INFINITY, f64::min),
                Func::Max => args
                    .iter()
                    .map(|a| a.eval(slots, cycle))
                    .fold(f64::NEG_INFINITY, f64::max),
            },
        }
    }

    /// Evaluates the expression for `L` draws at once; `slots[i][lane]` is slot `i` of the
    /// draw in `lane`. Walking the tree once per batch instead of once per draw is what makes
    /// PSA evaluation cheap.
    pub(crate) fn eval_lanes<const L: usize>(&self, slots: &[[f64; L]], cycle: f64) -> [f64; L] {
        match self {
            Expr::Const(v) => [*v; L],
            Expr::Slot(i) => slots[*i],
            Expr::Cycle => [cycle; L],
            Expr::Neg(e) => e.eval_lanes(slots, cycle).map(|x| -x),
            Expr::PowI(e, k) => e.eval_lanes(slots, cycle).map(|x| x.powi(*k)),
            Expr::Bin(op, a, b) => {
                let (x, y) = (a.eval_lanes(slots, cycle), b.eval_lanes(slots, cycle));
                std::array::from_fn(|l| match op {
                    Op::Add => x[l] + y[l],
                    Op::Sub => x[l] - y[l],
                    Op::Mul => x[l] * y[l],
                    Op::Div => x[l] / y[l],
                    Op::Pow => x[l].powf(y[l]),
                })
            }
            Expr::Call(f, args) => {
                let vals: Vec<[f64; L]> = args.iter().map(|a| a.eval_lanes(slots, cycle)).collect();
                std::array::from_fn(|l| match f {
                    Func::Exp => vals[0][l].exp(),
                    Func::Ln => vals[0][l].ln(),
                    Func::Sqrt => vals[0][l].sqrt(),
                    Func::Min => vals.iter().map(|v| v[l]).fold(f64::INFINITY, f64::min),
                    Func::Max => vals.iter().map(|v| v[l]).fold(f64::NEG_INFINITY, f64::max),
                })
            }
        }
    }

    /// Whether the expression reads the cycle number (so its value changes every cycle).
    pub(crate) fn uses_cycle(&self) -> bool {
        match self {
            Expr::Cycle => true,
            Expr::Const(_) | Expr::Slot(_) => false,
            Expr::Neg(e) | Expr::PowI(e, _) => e.uses_cycle(),
            Expr::Bin(_, a, b) => a.uses_cycle() || b.uses_cycle(),
            Expr::Call(_, args) => args.iter().any(Expr::uses_cycle),
        }
    }

    /// Whether the expression is the literal constant zero (a structural zero in a matrix).
    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Expr::Const(v) if *v == 0.0)
    }
}

/// Parses and compiles `src`, folding constant sub-expressions.
pub(crate) fn parse(src: &str, resolver: &dyn Resolver) -> Result<Expr, String> {
    let tokens = tokenize(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        resolver,
    };
    let e = p.expr()?;
    if p.pos != p.tokens.len() {
        return Err(format!("unexpected '{}'", p.tokens[p.pos].text()));
    }
    Ok(e)
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Sym(char),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Num(v) => v.to_string(),
            Tok::Name(n) => n.clone(),
            Tok::Sym(c) => c.to_string(),
        }
    }
}

fn tokenize(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // Scientific notation: 1e-3, 2.5E+4.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[start..i].iter().collect();
            let v: f64 = s.parse().map_err(|_| format!("bad number '{s}'"))?;
            out.push(Tok::Num(v));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(chars[start..i].iter().collect()));
        } else if "+-*/^()[],".contains(c) {
            out.push(Tok::Sym(c));
            i += 1;
        } else {
            return Err(format!("unexpected character '{c}'"));
        }
    }
    if out.is_empty() {
        return Err("empty expression".into());
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Tok>,
    pos: usize,
    resolver: &'a dyn Resolver,
}

impl Parser<'_> {
    fn peek_sym(&self, c: char) -> bool {
        self.tokens.get(self.pos) == Some(&Tok::Sym(c))
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.peek_sym(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(match self.tokens.get(self.pos) {
                Some(t) => format!("expected '{c}' but found '{}'", t.text()),
                None => format!("expected '{c}' at the end"),
            })
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let mut lhs = self.term()?;
        loop {
            let op = if self.peek_sym('+') {
                Op::Add
            } else if self.peek_sym('-') {
                Op::Sub
            } else {
                return Ok(lhs);
            };
            self.pos += 1;
            let rhs = self.term()?;
            lhs = fold(Expr::Bin(op, Box::new(lhs), Box::new(rhs)));
        }
    }

    fn term(&mut self) -> Result<Expr, String> {
        let mut lhs = self.unary()?;
        loop {
            let op = if self.peek_sym('*') {
                Op::Mul
            } else if self.peek_sym('/') {
                Op::Div
            } else {
                return Ok(lhs);
            };
            self.pos += 1;
            let rhs = self.unary()?;
            lhs = fold(Expr::Bin(op, Box::new(lhs), Box::new(rhs)));
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek_sym('-') {
            self.pos += 1;
            let e = self.unary()?;
            return Ok(fold(Expr::Neg(Box::new(e))));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, String> {
        let base = self.atom()?;
        if self.peek_sym('^') {
            self.pos += 1;
            let exp = self.unary()?;
            if let Expr::Const(k) = exp
                && k.fract() == 0.0
                && k.abs() <= 64.0
            {
                return Ok(fold(Expr::PowI(Box::new(base), k as i32)));
            }
            return Ok(fold(Expr::Bin(Op::Pow, Box::new(base), Box::new(exp))));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let tok = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or("unexpected end of expression")?;
        self.pos += 1;
        match tok {
            Tok::Num(v) => Ok(Expr::Const(v)),
            Tok::Sym('(') => {
                let e = self.expr()?;
                self.expect(')')?;
                Ok(e)
            }
            Tok::Name(name) => {
                if self.peek_sym('(') {
                    let f = match name.as_str() {
                        "exp" => Func::Exp,
                        "ln" | "log" => Func::Ln,
                        "sqrt" => Func::Sqrt,
                        "min" => Func::Min,
                        "max" => Func::Max,
                        _ => return Err(format!("unknown function '{name}'")),
                    };
                    self.pos += 1;
                    let mut args = vec![self.expr()?];
                    while self.peek_sym(',') {
                        self.pos += 1;
                        args.push(self.expr()?);
                    }
                    self.expect(')')?;
                    let arity_ok = match f {
                        Func::Min | Func::Max => !args.is_empty(),
                        _ => args.len() == 1,
                    };
                    if !arity_ok {
                        return Err(format!("function '{name}' takes one argument"));
                    }
                    Ok(fold(Expr::Call(f, args)))
                } else if self.peek_sym('[') {
                    self.pos += 1;
                    let idx = match self.tokens.get(self.pos) {
                        Some(Tok::Num(v)) if v.fract() == 0.0 && *v >= 1.0 => *v as usize,
                        _ => return Err(format!("'{name}[...]' needs a whole number from 1")),
                    };
                    self.pos += 1;
                    self.expect(']')?;
                    Ok(Expr::Slot(self.resolver.component(&name, idx)?))
                } else if name == "cycle" {
                    Ok(Expr::Cycle)
                } else {
                    Ok(Expr::Slot(self.resolver.scalar(&name)?))
                }
            }
            Tok::Sym(c) => Err(format!("unexpected '{c}'")),
        }
    }
}

/// Replaces an operation on constants by its value.
fn fold(e: Expr) -> Expr {
    let constant = match &e {
        Expr::Neg(a) | Expr::PowI(a, _) => matches!(**a, Expr::Const(_)),
        Expr::Bin(_, a, b) => matches!(**a, Expr::Const(_)) && matches!(**b, Expr::Const(_)),
        Expr::Call(_, args) => args.iter().all(|a| matches!(a, Expr::Const(_))),
        _ => false,
    };
    if constant {
        Expr::Const(e.eval(&[], f64::NAN))
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct R;
    impl Resolver for R {
        fn scalar(&self, name: &str) -> Result<usize, String> {
            match name {
                "p" => Ok(0),
                "q" => Ok(1),
                _ => Err(format!("unknown parameter '{name}'")),
            }
        }
        fn component(&self, name: &str, index: usize) -> Result<usize, String> {
            if name == "d" && (1..=3).contains(&index) {
                Ok(1 + index)
            } else {
                Err(format!("no component {index} of '{name}'"))
            }
        }
    }

    fn ev(src: &str) -> f64 {
        let e = parse(src, &R).unwrap();
        let v = e.eval(&[0.25, 2.0, 0.2, 0.3, 0.5], 3.0);
        // The lane-wise evaluation agrees bit for bit with the scalar one.
        let lanes = e.eval_lanes(&[[0.25; 2], [2.0; 2], [0.2; 2], [0.3; 2], [0.5; 2]], 3.0);
        assert_eq!(lanes, [v; 2]);
        v
    }

    #[test]
    fn precedence_and_functions() {
        assert_eq!(ev("1 - p"), 0.75);
        assert_eq!(ev("2 + 3 * 4"), 14.0);
        assert_eq!(ev("-2^2"), -4.0);
        assert_eq!(ev("2^3^2"), 512.0);
        assert_eq!(ev("q^3"), 8.0);
        assert_eq!(ev("q^-1"), 0.5);
        assert_eq!(ev("q^0.5"), 2f64.sqrt());
        assert_eq!(ev("(1 - p) * q"), 1.5);
        assert_eq!(ev("d[3] + d[1]"), 0.7);
        assert!((ev("1 - exp(-q * 0.5)") - (1.0 - (-1.0f64).exp())).abs() < 1e-15);
        assert_eq!(ev("max(p, q, 1)"), 2.0);
        assert_eq!(ev("1e-3 * 2E2"), 0.2);
        assert_eq!(ev("p * cycle"), 0.75);
        assert!(parse("p * cycle", &R).unwrap().uses_cycle());
        assert!(!parse("p * q", &R).unwrap().uses_cycle());
    }

    #[test]
    fn constants_fold() {
        assert_eq!(
            parse("350/1734*0.509", &R).unwrap(),
            Expr::Const(350.0 / 1734.0 * 0.509)
        );
        assert!(parse("0", &R).unwrap().is_zero());
    }

    #[test]
    fn errors_are_readable() {
        assert_eq!(parse("1 - x", &R).unwrap_err(), "unknown parameter 'x'");
        assert!(parse("1 +", &R).unwrap_err().contains("end"));
        assert!(parse("(1", &R).unwrap_err().contains("expected ')'"));
        assert!(
            parse("foo(1)", &R)
                .unwrap_err()
                .contains("unknown function")
        );
        assert!(parse("1 $ 2", &R).unwrap_err().contains("'$'"));
        assert!(parse("", &R).is_err());
    }
}
