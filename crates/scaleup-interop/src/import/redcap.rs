//! REDCap: the data dictionary (the 18-column CSV of Project Setup → Data Dictionary, or the
//! API's metadata export with snake_case names) read into one [`Form`] per instrument (`Form
//! Name`), which [`Form::to_instrument`] turns into scaleup instruments.
//!
//! Field types: `radio` and `dropdown` (choices `code, label | code, label`), `yesno` (1 Yes,
//! 0 No), `truefalse` (1 True, 0 False), `checkbox`, `text` (validated as `integer`, `number`,
//! `date_ymd`/`date_dmy`/`date_mdy`, else text), `notes` and `slider` (0–100 unless min and max
//! say otherwise). `descriptive` and `calc` carry no answer and are left out (listed). `file`,
//! `sql` and anything else are refused. Branching logic is read in the subset
//! `[field] op 'value'`, `and`, `or`, `<>`, parentheses, translated to the XLSForm expression
//! tree.
//!
//! The flat record export is read through the tabular mapping ([`super::mapping`], `source =
//! "redcap"`): the row key is `record_id`, `redcap_event_name`, `redcap_repeat_instrument` and
//! `redcap_repeat_instance`, and `{ checkbox = "field" }` gathers `field___code` columns.

use super::expr;
use super::form::{Choice, Form, Located, Question, QuestionType};
use super::table::Table;
use super::{ImportError, Location};
use std::collections::BTreeMap;
use std::io::Read;

/// The dictionary's header as REDCap writes it.
pub const HEADER: [&str; 18] = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
];

/// The same columns as the API's metadata export names them.
pub const API_HEADER: [&str; 18] = [
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "select_choices_or_calculations",
    "field_note",
    "text_validation_type_or_show_slider_number",
    "text_validation_min",
    "text_validation_max",
    "identifier",
    "branching_logic",
    "required_field",
    "custom_alignment",
    "question_number",
    "matrix_group_name",
    "matrix_ranking",
    "field_annotation",
];

const F_NAME: usize = 0;
const F_FORM: usize = 1;
const F_TYPE: usize = 3;
const F_LABEL: usize = 4;
const F_CHOICES: usize = 5;
const F_VALIDATION: usize = 7;
const F_MIN: usize = 8;
const F_MAX: usize = 9;
const F_BRANCHING: usize = 11;
const F_REQUIRED: usize = 12;

/// Translates REDCap branching logic into the XLSForm expression subset.
pub fn branching_to_expr(text: &str) -> Result<expr::Expr, String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find(']').ok_or("a `[` without its `]`")?;
        let name = &rest[open + 1..open + close];
        if name.contains('(') || name.contains(':') || name.contains('[') {
            return Err(
                "checkbox, event or instance references (`[field(code)]`, `[event][field]`) are outside the subset scaleup reads"
                    .into(),
            );
        }
        out.push_str("${");
        out.push_str(name.trim());
        out.push('}');
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    let out = out.replace("<>", "!=");
    // REDCap accepts AND/OR in any case.
    let words: Vec<String> = out
        .split(' ')
        .map(|w| match w.to_ascii_lowercase().as_str() {
            "and" => "and".to_string(),
            "or" => "or".to_string(),
            _ => w.to_string(),
        })
        .collect();
    expr::parse(&words.join(" "))
}

/// Parses `code, label | code, label`.
fn choices(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in text.split('|') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (code, label) = part.split_once(',')?;
        out.push((code.trim().to_string(), label.trim().to_string()));
    }
    (!out.is_empty()).then_some(out)
}

/// Reads a data dictionary into one form per instrument, in the order of first appearance.
pub fn read_dictionary<R: Read>(file: &str, input: R) -> Result<Vec<Form>, Vec<ImportError>> {
    let mut table = Table::new(file, input).map_err(|e| vec![e])?;
    let header: Vec<&str> = table.header().iter().map(String::as_str).collect();
    let at = Location::file(file);
    if header != HEADER && header != API_HEADER {
        let which = header
            .iter()
            .zip(HEADER.iter().zip(API_HEADER.iter()))
            .position(|(h, (a, b))| h != a && h != b)
            .unwrap_or(header.len().min(HEADER.len()));
        let column = HEADER.get(which).copied().unwrap_or("(extra)");
        return Err(vec![at.row(1).column(column).error(format!(
            "not a REDCap data dictionary: expected the 18 columns `{}` … `{}` in REDCap's order, found {} columns",
            HEADER[0], HEADER[17], header.len()
        ))]);
    }
    let column_names: Vec<String> = table.header().to_vec();
    let mut errors = Vec::new();
    let mut forms: Vec<Form> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(row) = table.next_row() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let at = at.row(row.row);
        let cell = |i: usize| row.cells[i].trim();
        let name = cell(F_NAME).to_string();
        let form_name = cell(F_FORM).to_string();
        let c = |i: usize| column_names[i].as_str();
        if name.is_empty() || form_name.is_empty() {
            errors.push(
                at.column(if name.is_empty() {
                    c(F_NAME)
                } else {
                    c(F_FORM)
                })
                .error("empty"),
            );
            continue;
        }
        if !seen.insert(name.clone()) {
            errors.push(at.column(c(F_NAME)).error("this variable is defined twice"));
            continue;
        }
        let form = match forms
            .iter_mut()
            .position(|f| f.id.as_deref() == Some(form_name.as_str()))
        {
            Some(i) => &mut forms[i],
            None => {
                forms.push(Form {
                    file: file.to_string(),
                    id: Some(form_name.clone()),
                    title: Some(form_name.clone()),
                    version: None,
                    default_language: None,
                    languages: vec![String::new()],
                    questions: Vec::new(),
                    choices: BTreeMap::new(),
                    left_out: Vec::new(),
                });
                forms.last_mut().expect("just pushed")
            }
        };
        let validation = cell(F_VALIDATION).to_ascii_lowercase();
        let int = |i: usize| -> Result<Option<i32>, ImportError> {
            let t = cell(i);
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<i32>().map(Some).map_err(|_| {
                at.column(c(i))
                    .error("must be a whole number for an integer or slider field")
            })
        };
        let field_type = cell(F_TYPE).to_ascii_lowercase();
        let mut list = None;
        let mut range = None;
        let kind = match field_type.as_str() {
            "radio" | "dropdown" | "checkbox" | "yesno" | "truefalse" => {
                let parsed = match field_type.as_str() {
                    "yesno" => Some(vec![("1".into(), "Yes".into()), ("0".into(), "No".into())]),
                    "truefalse" => Some(vec![
                        ("1".into(), "True".into()),
                        ("0".into(), "False".into()),
                    ]),
                    _ => choices(cell(F_CHOICES)),
                };
                let Some(parsed) = parsed else {
                    errors.push(
                        at.column(c(F_CHOICES))
                            .error("choices must be `code, label | code, label`"),
                    );
                    continue;
                };
                let mut list_choices = Vec::new();
                for (code, label) in parsed {
                    list_choices.push(Choice {
                        at: at.column(c(F_CHOICES)),
                        name_column: c(F_CHOICES).to_string(),
                        name: code,
                        labels: [(String::new(), label)].into(),
                    });
                }
                form.choices.insert(name.clone(), list_choices);
                list = Some(name.clone());
                if field_type == "checkbox" {
                    QuestionType::SelectMultiple
                } else {
                    QuestionType::SelectOne
                }
            }
            "text" => match validation.as_str() {
                "integer" => {
                    match (int(F_MIN), int(F_MAX)) {
                        (Ok(Some(lo)), Ok(Some(hi))) if lo <= hi => {
                            range = Some(Located {
                                value: (lo, hi),
                                at: at.column(c(F_MIN)),
                            })
                        }
                        (Err(e), _) | (_, Err(e)) => {
                            errors.push(e);
                            continue;
                        }
                        _ => {}
                    }
                    QuestionType::Integer
                }
                v if v.starts_with("number") => QuestionType::Decimal,
                v if v.starts_with("date") => QuestionType::Date,
                _ => QuestionType::Text,
            },
            "notes" => QuestionType::Text,
            "slider" => {
                let lo = int(F_MIN);
                let hi = int(F_MAX);
                match (lo, hi) {
                    (Ok(lo), Ok(hi)) => {
                        let (lo, hi) = (lo.unwrap_or(0), hi.unwrap_or(100));
                        if lo > hi {
                            errors.push(
                                at.column(c(F_MIN))
                                    .error("the minimum is above the maximum"),
                            );
                            continue;
                        }
                        range = Some(Located {
                            value: (lo, hi),
                            at: at.column(c(F_MIN)),
                        });
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        errors.push(e);
                        continue;
                    }
                }
                QuestionType::Integer
            }
            "descriptive" => {
                form.left_out
                    .push(format!("{at}: a descriptive field (it carries no answer)"));
                continue;
            }
            "calc" => {
                form.left_out.push(format!(
                    "{at}: a calculated field (scaleup scores with the instrument's own rule)"
                ));
                continue;
            }
            _ => {
                errors.push(at.column(c(F_TYPE)).error(
                    "a field type scaleup cannot represent (it reads radio, dropdown, yesno, truefalse, checkbox, text, notes, slider, descriptive and calc)",
                ));
                continue;
            }
        };
        let relevant = match cell(F_BRANCHING) {
            "" => None,
            t => match branching_to_expr(t) {
                Ok(e) => Some(Located {
                    value: e,
                    at: at.column(c(F_BRANCHING)),
                }),
                Err(why) => {
                    errors.push(at.column(c(F_BRANCHING)).error(why));
                    continue;
                }
            },
        };
        let required = match cell(F_REQUIRED).to_ascii_lowercase().as_str() {
            "" | "n" | "no" | "0" => false,
            "y" | "yes" | "1" => true,
            _ => {
                errors.push(at.column(c(F_REQUIRED)).error("must be y or empty"));
                continue;
            }
        };
        form.questions.push(Question {
            at: at.clone(),
            type_column: c(F_TYPE).to_string(),
            name,
            kind,
            list,
            labels: [(String::new(), cell(F_LABEL).to_string())].into(),
            required,
            relevant,
            constraint: None,
            range,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if forms.is_empty() {
        return Err(vec![at.error("the dictionary lists no fields")]);
    }
    Ok(forms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branching_logic_becomes_an_expression() {
        let e = branching_to_expr("[sex] = '2' AND [age] >= 18").unwrap();
        assert_eq!(e.to_string(), "${sex} = '2' and ${age} >= 18");
        assert_eq!(
            branching_to_expr("[a] <> ''").unwrap().to_string(),
            "${a} != ''"
        );
        assert!(
            branching_to_expr("[meds(3)] = '1'")
                .unwrap_err()
                .contains("checkbox")
        );
        assert!(branching_to_expr("[a").is_err());
    }

    #[test]
    fn choices_parse() {
        assert_eq!(
            choices("1, Urban | 2, Mostly urban").unwrap(),
            vec![
                ("1".into(), "Urban".into()),
                ("2".into(), "Mostly urban".into())
            ]
        );
        assert_eq!(choices("no comma"), None);
        // A label may itself hold commas.
        assert_eq!(
            choices("3, Regional, provincial").unwrap()[0].1,
            "Regional, provincial"
        );
    }
}
