//! Validation errors that name the field and the rule, never the value.

use std::fmt;

/// A rejected input: the JSON path of the field and the rule it broke.
///
/// The message must not repeat the rejected value: values in this system are often clinical
/// (a PHQ-9 answer) or identifying (a phone number), and errors end up in logs and on screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the offending field, e.g. `data.responses.9`.
    pub field: String,
    /// What rule was broken, e.g. "must be a date in YYYY-MM-DD form".
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Prefixes the field path, so nested parsers can report `data.x` instead of `x`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// The message of every "outside the allowed set" error: `must be one of: a, b, c`.
pub fn one_of<S: AsRef<str>>(allowed: &[S]) -> String {
    let list: Vec<&str> = allowed.iter().map(|a| a.as_ref()).collect();
    format!("must be one of: {}", list.join(", "))
}

/// The allowed values in a serde "unknown variant" message (`unknown variant `x`, expected one
/// of `a`, `b``, or `expected `a` or `b``), without the rejected value; `None` for any other
/// message. Serde quotes every name in backticks; the rejected value is the one before
/// "expected".
pub fn allowed_in_serde_message(message: &str) -> Option<Vec<String>> {
    if !message.starts_with("unknown variant") {
        return None;
    }
    let (_, expected) = message.split_once("expected")?;
    let names: Vec<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    (!names.is_empty()).then_some(names)
}
