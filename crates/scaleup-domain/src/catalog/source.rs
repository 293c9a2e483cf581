//! Mapping between field paths such as `items[3].options` and line numbers in a TOML file.
//!
//! Definition files are deserialized with serde and then validated; validation errors know the
//! field path but not the position, and serde errors know the position but only a rough path.
//! This module closes both gaps by walking the spanned document that `toml` exposes.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a field path: a table key or an array index (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `items[3].options` into `Key(items), Index(3), Key(options)`.
fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            let key = &rest[..open];
            if !key.is_empty() {
                out.push(Segment::Key(key.to_string()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else {
                    break;
                };
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Segment::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else if !rest.is_empty() {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn child<'a, 'i>(value: &'a DeValue<'i>, seg: &Segment) -> Option<&'a Spanned<DeValue<'i>>> {
    match (value, seg) {
        (DeValue::Table(t), Segment::Key(k)) => table_get(t, k).map(|(_, v)| v),
        (DeValue::Array(a), Segment::Index(i)) => a.get(*i),
        _ => None,
    }
}

fn table_get<'a, 'i>(
    t: &'a DeTable<'i>,
    key: &str,
) -> Option<(
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
)> {
    t.iter().find(|(k, _)| k.get_ref().as_ref() == key)
}

/// The line of the deepest part of `path` that exists in `text`.
///
/// For a key the line of the key is preferred over the line of its value, because multi-line
/// arrays start on the key's line. Returns `None` only when the text does not parse at all.
pub(crate) fn line_of_path(text: &str, path: &str) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let root = DeValue::Table(doc.get_ref().clone());
    let mut current: &DeValue<'_> = &root;
    let mut best: Option<usize> = None;
    for seg in segments(path) {
        if let (DeValue::Table(t), Segment::Key(k)) = (current, &seg)
            && let Some((key, _)) = table_get(t, k)
        {
            best = Some(key.span().start);
        }
        match child(current, &seg) {
            Some(next) => {
                if matches!(seg, Segment::Index(_)) || best.is_none() {
                    best = Some(next.span().start);
                }
                current = next.get_ref();
            }
            None => break,
        }
    }
    Some(line_of(text, best.unwrap_or(0)))
}

/// The field path of the deepest value at `offset`, e.g. `items[2].options`.
///
/// Spans of `[[array]]` tables cover only their header, so at each level the child that starts
/// last at or before `offset` is taken; a scalar that ends before `offset` stops the walk.
///
/// With `containers_only` the walk never ends on a scalar: a "missing field" error spans the
/// table that lacks the field, and its first key must not be blamed.
pub(crate) fn path_at(text: &str, offset: usize, containers_only: bool) -> String {
    let Ok(doc) = DeTable::parse(text) else {
        return String::new();
    };
    let mut path = String::new();
    let mut current = DeValue::Table(doc.get_ref().clone());
    loop {
        let next = match &current {
            DeValue::Table(t) => t
                .iter()
                .filter(|(k, v)| {
                    k.span().start.min(v.span().start) <= offset
                        && (!containers_only
                            || matches!(v.get_ref(), DeValue::Table(_) | DeValue::Array(_)))
                })
                .max_by_key(|(k, v)| k.span().start.min(v.span().start))
                .map(|(k, v)| (format!(".{}", k.get_ref()), v.clone())),
            DeValue::Array(a) => a
                .iter()
                .enumerate()
                .filter(|(_, v)| v.span().start <= offset)
                .max_by_key(|(_, v)| v.span().start)
                .map(|(i, v)| (format!("[{i}]"), v.clone())),
            _ => None,
        };
        let Some((segment, value)) = next else {
            return path;
        };
        let container = matches!(value.get_ref(), DeValue::Table(_) | DeValue::Array(_));
        if !container && offset > value.span().end {
            return path;
        }
        path.push_str(
            segment
                .strip_prefix('.')
                .filter(|_| path.is_empty())
                .unwrap_or(&segment),
        );
        current = value.into_inner();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "code = \"x\"\n\n[[items]]\nid = \"1\"\n\n[[items]]\nid = \"2\"\noptions = [\n  { code = 0, label = \"a\" },\n  { code = 0, label = \"b\" },\n]\n";

    #[test]
    fn path_to_line() {
        assert_eq!(line_of_path(DOC, "code"), Some(1));
        assert_eq!(line_of_path(DOC, "items[1].id"), Some(7));
        assert_eq!(line_of_path(DOC, "items[1].options"), Some(8));
        assert_eq!(line_of_path(DOC, "items[1].options[1]"), Some(10));
        // A missing leaf falls back to the deepest existing parent.
        assert_eq!(
            line_of_path(DOC, "items[1].text"),
            line_of_path(DOC, "items[1]")
        );
    }

    #[test]
    fn line_to_path() {
        let offset = DOC.find("label = \"b\"").unwrap();
        assert_eq!(path_at(DOC, offset, false), "items[1].options[1].label");
    }
}
