//! Every `scaleup ...` command the README shows exists, with the options it shows, and the
//! command summaries name every subcommand (hardening item 18: the README's `user add` lacked
//! the required `--username`, and the summaries left out `icc`, `owsa` and `cost`).

use std::process::Command;

fn help(path: &[&str]) -> Option<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_scaleup"))
        .args(path)
        .arg("--help")
        .output()
        .expect("run scaleup");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The inline code spans of the README that start with `scaleup `.
fn readme_commands() -> Vec<String> {
    let readme = include_str!("../../../README.md");
    readme
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| span.starts_with("scaleup "))
        .map(str::to_string)
        .collect()
}

/// `scaleup a|b c --x V` → the subcommand paths [a c], [b c] and the options [--x].
fn expand(command: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let mut paths: Vec<Vec<String>> = vec![vec![]];
    let mut options = Vec::new();
    let mut in_path = true;
    for w in words {
        if w.starts_with("--") {
            in_path = false;
            options.push(w.split('=').next().unwrap().to_string());
        } else if in_path
            && w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '|')
        {
            paths = paths
                .iter()
                .flat_map(|p| {
                    w.split('|').map(move |alt| {
                        let mut q = p.clone();
                        q.push(alt.to_string());
                        q
                    })
                })
                .collect();
        } else {
            in_path = false;
        }
    }
    (paths, options)
}

#[test]
fn issue_18_every_readme_command_and_option_exists() {
    let commands = readme_commands();
    assert!(commands.len() > 10, "{commands:?}");
    for command in commands {
        let (paths, options) = expand(&command);
        for path in paths {
            let args: Vec<&str> = path.iter().map(String::as_str).collect();
            let text = help(&args)
                .unwrap_or_else(|| panic!("`{command}`: no `scaleup {}`", path.join(" ")));
            for o in &options {
                assert!(
                    text.contains(o.as_str()),
                    "`{command}`: `scaleup {}` has no {o}",
                    path.join(" ")
                );
            }
        }
    }
}

#[test]
fn issue_18_readme_user_add_gives_every_required_option() {
    let text = help(&["user", "add"]).unwrap();
    let usage = text.lines().find(|l| l.starts_with("Usage:")).unwrap();
    let readme_add = readme_commands()
        .into_iter()
        .find(|c| c.starts_with("scaleup user add"))
        .unwrap();
    for required in usage.split_whitespace().filter(|w| w.starts_with("--")) {
        assert!(
            readme_add.contains(required),
            "README's `{readme_add}` lacks {required}"
        );
    }
}

#[test]
fn issue_18_command_summaries_name_every_subcommand() {
    let top = help(&[]).unwrap();
    // The groups whose summary lists their subcommands by name.
    for group in ["stats", "econ"] {
        let sub = help(&[group]).unwrap();
        let names: Vec<&str> = sub
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| *n != "help")
            .collect();
        let summary = top
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{group} ")))
            .unwrap();
        if summary.contains(':') {
            for n in names {
                assert!(summary.contains(n), "summary `{summary}` omits `{n}`");
            }
        }
    }
}
