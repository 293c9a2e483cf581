//! Progress for long commands (PSA, model fits, the audit check): a bar or a spinner on
//! standard error when it is a terminal, and nothing at all otherwise, so piped output,
//! scripts, CI logs and tests stay clean. Standard output carries only the result.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Whether progress may be drawn: only when a person is watching standard error.
fn visible() -> bool {
    std::io::stderr().is_terminal()
}

/// A bar counting `len` units of work, e.g. `bar(draws, "draws")`; hidden when standard error
/// is not a terminal.
pub fn bar(len: u64, unit: &str) -> ProgressBar {
    if !visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let template =
        format!("{{spinner}} {unit} {{human_pos}}/{{human_len}} [{{bar:30}}] eta {{eta}}");
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// A spinner with a message for work without a count (a model fit); hidden when standard
/// error is not a terminal. Call `finish_and_clear` when done.
pub fn spinner(message: &str) -> ProgressBar {
    if !visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Runs `work` under a spinner, clearing it afterwards whatever the outcome.
pub fn with_spinner<T>(message: &str, work: impl FnOnce() -> T) -> T {
    let s = spinner(message);
    let out = work();
    s.finish_and_clear();
    out
}
