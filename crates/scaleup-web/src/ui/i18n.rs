//! Interface text in six languages, from Fluent catalogues (`locales/<code>.ftl`).
//!
//! Every visible string of the pages and the offline app is a Fluent message. English is
//! complete by definition; a message missing from another catalogue falls back to English (a
//! test keeps every catalogue complete, so the fallback is a safety net, not a feature).
//! Each catalogue says in its own `meta-reviewed` message whether a native speaker has
//! reviewed it; the language picker shows the unreviewed ones as such.
//!
//! The offline app cannot call the server to format a message, so the catalogue's `app-*`
//! messages also travel to the device as a small JSON form of their patterns
//! ([`Tr::app_messages`]): text, variables, and selectors on a number. The device picks a
//! variant the way Fluent does: an exact numeric key first, then the plural category from the
//! browser's `Intl.PluralRules`, then the default. Every selector has a default `*[other]`
//! variant, so a category one side knows and the other does not (CLDR versions differ between
//! this crate's plural rules and a phone's ICU) still lands on the same text.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// A language the interface is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    /// BCP 47 primary tag.
    pub code: &'static str,
    /// The language's name in itself, for the picker.
    pub name: &'static str,
    source: &'static str,
}

/// The interface languages, English first (the fallback).
pub const LANGUAGES: [Language; 6] = [
    Language {
        code: "en",
        name: "English",
        source: include_str!("../../locales/en.ftl"),
    },
    Language {
        code: "fr",
        name: "Français",
        source: include_str!("../../locales/fr.ftl"),
    },
    Language {
        code: "pt",
        name: "Português",
        source: include_str!("../../locales/pt.ftl"),
    },
    Language {
        code: "es",
        name: "Español",
        source: include_str!("../../locales/es.ftl"),
    },
    Language {
        code: "sw",
        name: "Kiswahili",
        source: include_str!("../../locales/sw.ftl"),
    },
    Language {
        code: "hi",
        name: "हिन्दी",
        source: include_str!("../../locales/hi.ftl"),
    },
];

/// The code of a supported language, if `tag` names one (`pt-BR` → `pt`).
pub fn supported(tag: &str) -> Option<&'static str> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    LANGUAGES.iter().find(|l| l.code == primary).map(|l| l.code)
}

/// Chooses the interface language: the user's setting, then the language cookie (signed-out
/// pages), then the browser's Accept-Language in its order of preference, then English.
pub fn negotiate(
    user_setting: Option<&str>,
    cookie: Option<&str>,
    accept_language: Option<&str>,
) -> &'static str {
    if let Some(code) = user_setting.and_then(supported) {
        return code;
    }
    if let Some(code) = cookie.and_then(supported) {
        return code;
    }
    if let Some(header) = accept_language {
        let mut ranked: Vec<(f32, usize, &str)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, i, tag))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if let Some(code) = ranked.iter().find_map(|(_, _, tag)| supported(tag)) {
            return code;
        }
    }
    "en"
}

struct Catalogue {
    language: Language,
    bundle: FluentBundle<FluentResource>,
}

fn catalogues() -> &'static [Catalogue] {
    static CATALOGUES: OnceLock<Vec<Catalogue>> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        LANGUAGES
            .iter()
            .map(|language| {
                // The catalogues are part of the build and checked by tests: a parse error here
                // is a build defect, like an invalid built-in definition.
                let resource = FluentResource::try_new(language.source.to_string()).unwrap_or_else(
                    |(_, errors)| {
                        panic!("locales/{}.ftl does not parse: {errors:?}", language.code)
                    },
                );
                let id: unic_langid::LanguageIdentifier =
                    language.code.parse().expect("language codes are valid");
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // No Unicode isolation marks: none of the six languages is right-to-left, and
                // the marks would break accessible names ("Send now") that people and tests
                // read.
                bundle.set_use_isolating(false);
                bundle
                    .add_resource(resource)
                    .unwrap_or_else(|e| panic!("locales/{}.ftl: {e:?}", language.code));
                Catalogue {
                    language: *language,
                    bundle,
                }
            })
            .collect()
    })
}

/// A translator for one language.
#[derive(Clone, Copy)]
pub struct Tr {
    index: usize,
}

impl Tr {
    /// The translator for `code`, English when the code is not supported.
    pub fn new(code: &str) -> Tr {
        let index = LANGUAGES.iter().position(|l| l.code == code).unwrap_or(0);
        Tr { index }
    }

    pub fn lang(&self) -> &'static str {
        LANGUAGES[self.index].code
    }

    /// Whether a native speaker has reviewed this language's catalogue.
    pub fn reviewed(&self) -> bool {
        self.t("meta-reviewed") == "yes"
    }

    /// The message in this language, else in English; none when English lacks it too.
    fn lookup(&self, id: &str, args: Option<&FluentArgs>) -> Option<String> {
        let all = catalogues();
        for catalogue in [&all[self.index], &all[0]] {
            if let Some(pattern) = catalogue.bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = catalogue.bundle.format_pattern(pattern, args, &mut errors);
                return Some(text.into_owned());
            }
        }
        None
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        // Only a message missing from English falls back to its id; a test scans the templates
        // and code for message ids so that this does not ship.
        self.lookup(id, args).unwrap_or_else(|| id.to_string())
    }

    /// A message without arguments.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// A message without arguments whose id is built from data (an indicator's code), or none
    /// when no catalogue has it, so that the caller can fall back to the data's own text.
    pub fn t_or_none(&self, id: &str) -> Option<String> {
        self.lookup(id, None)
    }

    /// A message with one numeric argument (plurals).
    pub fn n(&self, id: &str, name: &str, value: i64) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(value));
        self.format(id, Some(&args))
    }

    /// A message with text arguments.
    pub fn s(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(k.to_string(), FluentValue::from(v.to_string()));
        }
        self.format(id, Some(&fa))
    }

    /// The `app-*` messages as the offline app reads them: id → pattern, where a pattern is a
    /// list of text strings, `{"v": name}` for a variable, and `{"s": name, "o": {key:
    /// pattern}, "d": default key}` for a selector on a number.
    pub fn app_messages(&self) -> Value {
        let all = catalogues();
        let mut out = serde_json::Map::new();
        for catalogue in [&all[0], &all[self.index]] {
            let parsed = match fluent_syntax::parser::parse(catalogue.language.source) {
                Ok(r) => r,
                Err((r, _)) => r,
            };
            for entry in parsed.body {
                if let ast::Entry::Message(m) = entry
                    && m.id.name.starts_with("app-")
                    && let Some(value) = &m.value
                {
                    out.insert(m.id.name.to_string(), pattern_json(value));
                }
            }
        }
        Value::Object(out)
    }
}

fn pattern_json(pattern: &ast::Pattern<&str>) -> Value {
    let mut parts = Vec::new();
    for element in &pattern.elements {
        match element {
            ast::PatternElement::TextElement { value } => parts.push(json!(value)),
            ast::PatternElement::Placeable { expression } => {
                parts.push(expression_json(expression))
            }
        }
    }
    Value::Array(parts)
}

fn expression_json(expression: &ast::Expression<&str>) -> Value {
    match expression {
        ast::Expression::Inline(ast::InlineExpression::VariableReference { id }) => {
            json!({"v": id.name})
        }
        ast::Expression::Inline(ast::InlineExpression::StringLiteral { value }) => json!(value),
        ast::Expression::Select { selector, variants } => {
            let name = match selector {
                ast::InlineExpression::VariableReference { id } => id.name,
                _ => "",
            };
            let mut options = serde_json::Map::new();
            let mut default = String::from("other");
            for variant in variants {
                let key = match &variant.key {
                    ast::VariantKey::Identifier { name } => name.to_string(),
                    ast::VariantKey::NumberLiteral { value } => value.to_string(),
                };
                if variant.default {
                    default = key.clone();
                }
                options.insert(key, pattern_json(&variant.value));
            }
            json!({"s": name, "o": options, "d": default})
        }
        // The app's messages use only variables and selectors (a test checks it).
        _ => json!(""),
    }
}

/// The language picker's entries: code, name, and whether the catalogue is reviewed.
pub fn picker() -> Vec<(&'static str, &'static str, bool)> {
    LANGUAGES
        .iter()
        .map(|l| (l.code, l.name, Tr::new(l.code).reviewed()))
        .collect()
}

/// The message ids of a catalogue, in file order (tests and the completeness check).
pub fn message_ids(code: &str) -> Vec<String> {
    let source = LANGUAGES
        .iter()
        .find(|l| l.code == code)
        .map(|l| l.source)
        .unwrap_or_default();
    let parsed = match fluent_syntax::parser::parse(source) {
        Ok(r) => r,
        Err((r, _)) => r,
    };
    parsed
        .body
        .iter()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

/// The raw Fluent source of a catalogue (tests).
pub fn source(code: &str) -> &'static str {
    LANGUAGES
        .iter()
        .find(|l| l.code == code)
        .map(|l| l.source)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_setting_then_cookie_then_browser_order() {
        assert_eq!(negotiate(Some("hi"), Some("fr"), Some("sw")), "hi");
        assert_eq!(negotiate(None, Some("pt-BR"), Some("sw")), "pt");
        assert_eq!(
            negotiate(None, None, Some("de-DE,de;q=0.9,sw;q=0.8,fr;q=0.7")),
            "sw"
        );
        assert_eq!(negotiate(None, None, Some("fr;q=0.5, es;q=0.9")), "es");
        assert_eq!(negotiate(None, None, Some("de, ja")), "en");
        assert_eq!(negotiate(Some("xx"), None, Some("sw;q=0")), "en");
    }
}
