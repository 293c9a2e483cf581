//! The subset of XLSForm expressions scaleup reads in `relevant` and `constraint` (and REDCap's
//! branching logic, translated to the same tree): references `${name}` and `.`, numbers and
//! quoted strings, comparisons (`= != < <= > >=`), arithmetic (`+ - * div mod`), `and`, `or`,
//! parentheses, and the functions `not`, `selected`, `count-selected`, `string-length`,
//! `today`. Anything else is refused, naming the construct (never a value), so a form is never
//! read with a condition half-understood.

use std::fmt;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `${name}`.
    Ref(String),
    /// `.`, the current answer.
    Current,
    Number(f64),
    Text(String),
    Binary(Box<Expr>, Op, Box<Expr>),
    Call(String, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Or => "or",
            Op::And => "and",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "div",
            Op::Mod => "mod",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::Eq | Op::Ne => 3,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => 4,
            Op::Add | Op::Sub => 5,
            Op::Mul | Op::Div | Op::Mod => 6,
        }
    }
}

/// Functions read, with their number of arguments.
pub const FUNCTIONS: &[(&str, usize)] = &[
    ("not", 1),
    ("selected", 2),
    ("count-selected", 1),
    ("string-length", 1),
    ("today", 0),
];

impl fmt::Display for Expr {
    /// The canonical text: single spaces, parentheses only where needed, strings in single
    /// quotes. Used to compare with pyxform's reading.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Ref(n) => write!(f, "${{{n}}}"),
            Expr::Current => write!(f, "."),
            Expr::Number(n) => write!(f, "{n}"),
            Expr::Text(t) => write!(f, "'{t}'"),
            Expr::Binary(l, op, r) => {
                let side = |e: &Expr, f: &mut fmt::Formatter<'_>, right: bool| match e {
                    Expr::Binary(_, inner, _)
                        if inner.precedence() < op.precedence()
                            || (right && inner.precedence() == op.precedence()) =>
                    {
                        write!(f, "({e})")
                    }
                    _ => write!(f, "{e}"),
                };
                side(l, f, false)?;
                write!(f, " {} ", op.symbol())?;
                side(r, f, true)
            }
            Expr::Call(name, args) => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ref(String),
    Dot,
    Num(f64),
    Str(String),
    Name(String),
    Op(Op),
    Open,
    Close,
    Comma,
}

/// Longest expression read (characters).
pub const MAX_LEN: usize = 4096;

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    if text.len() > MAX_LEN {
        return Err(format!("longer than {MAX_LEN} characters"));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '$' => {
                if chars.get(i + 1) != Some(&'{') {
                    return Err("a `$` not followed by `{name}`".into());
                }
                let end = chars[i..]
                    .iter()
                    .position(|c| *c == '}')
                    .ok_or("a `${` without its `}`")?;
                let name: String = chars[i + 2..i + end].iter().collect();
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    return Err("a reference whose name is not a question name".into());
                }
                out.push(Tok::Ref(name));
                i += end + 1;
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|x| *x == c)
                    .ok_or("a quoted string without its closing quote")?;
                out.push(Tok::Str(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '=' => {
                out.push(Tok::Op(Op::Eq));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Tok::Op(Op::Ne));
                i += 2;
            }
            '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                out.push(Tok::Op(match (c, eq) {
                    ('<', true) => Op::Le,
                    ('<', false) => Op::Lt,
                    (_, true) => Op::Ge,
                    _ => Op::Gt,
                }));
                i += if eq { 2 } else { 1 };
            }
            '+' => {
                out.push(Tok::Op(Op::Add));
                i += 1;
            }
            '-' => {
                out.push(Tok::Op(Op::Sub));
                i += 1;
            }
            '*' => {
                out.push(Tok::Op(Op::Mul));
                i += 1;
            }
            '.' if !chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                out.push(Tok::Dot);
                i += 1;
            }
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                out.push(Tok::Num(s.parse().map_err(|_| "a malformed number")?));
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '-' | '_' | ':'))
                {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                out.push(match s.as_str() {
                    "and" => Tok::Op(Op::And),
                    "or" => Tok::Op(Op::Or),
                    "div" => Tok::Op(Op::Div),
                    "mod" => Tok::Op(Op::Mod),
                    _ => Tok::Name(s),
                });
            }
            _ => return Err("a character outside the expression subset scaleup reads".into()),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn expr(&mut self, min: u8) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("nested too deeply".into());
        }
        let mut left = self.primary()?;
        while let Some(Tok::Op(op)) = self.peek().cloned() {
            if op.precedence() < min {
                break;
            }
            self.at += 1;
            let right = self.expr(op.precedence() + 1)?;
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let tok = self
            .peek()
            .cloned()
            .ok_or("ends where a value is expected")?;
        self.at += 1;
        match tok {
            Tok::Ref(n) => Ok(Expr::Ref(n)),
            Tok::Dot => Ok(Expr::Current),
            Tok::Num(n) => Ok(Expr::Number(n)),
            Tok::Str(s) => Ok(Expr::Text(s)),
            Tok::Op(Op::Sub) => match self.primary()? {
                Expr::Number(n) => Ok(Expr::Number(-n)),
                e => Ok(Expr::Binary(
                    Box::new(Expr::Number(0.0)),
                    Op::Sub,
                    Box::new(e),
                )),
            },
            Tok::Open => {
                let e = self.expr(0)?;
                if self.peek() != Some(&Tok::Close) {
                    return Err("a `(` without its `)`".into());
                }
                self.at += 1;
                Ok(e)
            }
            Tok::Name(name) => {
                let Some((_, arity)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
                    return Err(format!(
                        "the function or name `{}` is outside the subset scaleup reads (not, selected, count-selected, string-length, today)",
                        name.chars().take(40).collect::<String>()
                    ));
                };
                if self.peek() != Some(&Tok::Open) {
                    return Err(format!("`{name}` must be called with parentheses"));
                }
                self.at += 1;
                let mut args = Vec::new();
                if self.peek() != Some(&Tok::Close) {
                    loop {
                        args.push(self.expr(0)?);
                        match self.peek() {
                            Some(Tok::Comma) => self.at += 1,
                            Some(Tok::Close) => break,
                            _ => return Err(format!("`{name}(` without its `)`")),
                        }
                    }
                }
                self.at += 1;
                if args.len() != *arity {
                    return Err(format!("`{name}` takes {arity} argument(s)"));
                }
                Ok(Expr::Call(name, args))
            }
            _ => Err("an operator or separator where a value is expected".into()),
        }
    }
}

/// Parses an expression of the subset; the error names the construct outside it.
pub fn parse(text: &str) -> Result<Expr, String> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        at: 0,
        depth: 0,
    };
    let e = p.expr(0)?;
    if p.at != p.toks.len() {
        return Err("text after the end of the expression".into());
    }
    Ok(e)
}

impl Expr {
    /// Every `${name}` the expression refers to.
    pub fn refs(&self) -> Vec<&str> {
        let mut out = Vec::new();
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
            match e {
                Expr::Ref(n) => out.push(n),
                Expr::Binary(l, _, r) => {
                    walk(l, out);
                    walk(r, out);
                }
                Expr::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
                _ => {}
            }
        }
        walk(self, &mut out);
        out
    }

    /// The bounds of a range constraint on the current answer (`. >= a and . <= b`, in either
    /// order, `>`/`<` taken on whole numbers), else `None`.
    pub fn integer_range(&self) -> Option<(i32, i32)> {
        fn bound(e: &Expr) -> Option<(bool, i64)> {
            let Expr::Binary(l, op, r) = e else {
                return None;
            };
            let (op, n) = match (&**l, &**r) {
                (Expr::Current, Expr::Number(n)) => (*op, *n),
                (Expr::Number(n), Expr::Current) => (
                    match op {
                        Op::Lt => Op::Gt,
                        Op::Le => Op::Ge,
                        Op::Gt => Op::Lt,
                        Op::Ge => Op::Le,
                        o => *o,
                    },
                    *n,
                ),
                _ => return None,
            };
            if n.fract() != 0.0 || n.abs() > 1e9 {
                return None;
            }
            let n = n as i64;
            match op {
                Op::Ge => Some((true, n)),
                Op::Gt => Some((true, n + 1)),
                Op::Le => Some((false, n)),
                Op::Lt => Some((false, n - 1)),
                _ => None,
            }
        }
        let Expr::Binary(a, Op::And, b) = self else {
            return None;
        };
        let (x, y) = (bound(a)?, bound(b)?);
        let (lo, hi) = match (x, y) {
            ((true, lo), (false, hi)) | ((false, hi), (true, lo)) => (lo, hi),
            _ => return None,
        };
        (lo <= hi).then_some((i32::try_from(lo).ok()?, i32::try_from(hi).ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        parse(text)
            .map(|e| e.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn reads_the_common_subset() {
        assert_eq!(canon("${a}='yes'"), "${a} = 'yes'");
        assert_eq!(canon(". >= 0 and . <= 27"), ". >= 0 and . <= 27");
        assert_eq!(
            canon("selected(${s}, \"x\") or not(${b} != 2)"),
            "selected(${s}, 'x') or not(${b} != 2)"
        );
        assert_eq!(canon("(${a} + 1) * 2 > 3"), "(${a} + 1) * 2 > 3");
        assert_eq!(canon("${a} - (${b} - 1)"), "${a} - (${b} - 1)");
        assert_eq!(
            canon("count-selected(${m}) >= 1"),
            "count-selected(${m}) >= 1"
        );
        assert_eq!(canon(". < today()"), ". < today()");
        assert_eq!(canon(". > -1.5"), ". > -1.5");
    }

    #[test]
    fn refuses_what_it_does_not_read() {
        assert!(canon("pulldata('x', 'y')").contains("outside the subset"));
        assert!(canon("${a} = ").starts_with("error"));
        assert!(canon("(${a} = 1").contains("without its"));
        assert!(canon("${a} | ${b}").contains("character outside"));
        assert!(canon("'unterminated").contains("closing quote"));
        assert!(canon(&"(".repeat(200)).contains("nested too deeply"));
        assert!(canon("not(1, 2)").contains("takes 1"));
    }

    #[test]
    fn finds_integer_ranges() {
        let r = |t: &str| parse(t).unwrap().integer_range();
        assert_eq!(r(". >= 0 and . <= 10"), Some((0, 10)));
        assert_eq!(r("10 >= . and . > 0"), Some((1, 10)));
        assert_eq!(r(". >= 0 or . <= 10"), None);
        assert_eq!(r(". >= 5 and . <= 1"), None);
        assert_eq!(r(". >= 0.5 and . <= 1"), None);
    }
}
