//! Every file of the malformed corpus (`tests/malformed/{scenario,lab}/*.yaml` at the repository
//! root) must be rejected with `LoadError::Invalid` (never accepted, never a panic), and its first
//! diagnostic must match the `# expect: LINE:COL substring` header on the file's first line.

use std::path::{Path, PathBuf};

use farend_scenario::{LoadError, load_lab, load_scenarios};

fn corpus_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/malformed")
        .join(kind)
}

fn refs(name: &str) -> bool {
    name.starts_with("speech/") || name.starts_with("tones/")
}

struct Expectation {
    line: usize,
    column: usize,
    substring: String,
}

fn header(path: &Path) -> Expectation {
    let bytes = std::fs::read(path).expect("corpus file is readable");
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    let rest = first.strip_prefix("# expect: ").unwrap_or_else(|| {
        panic!(
            "{}: first line must be `# expect: LINE:COL text`",
            path.display()
        )
    });
    let (pos, substring) = rest.split_once(' ').unwrap_or((rest, ""));
    let (line, column) = pos
        .split_once(':')
        .unwrap_or_else(|| panic!("{}: bad LINE:COL `{pos}`", path.display()));
    let substring = substring.trim().to_owned();
    assert!(
        !substring.is_empty(),
        "{}: the header needs a message substring",
        path.display()
    );
    Expectation {
        line: line.parse().expect("LINE is a number"),
        column: column.parse().expect("COL is a number"),
        substring,
    }
}

fn files(kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_dir(kind))
        .expect("corpus folder exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

fn check(kind: &str, load: &dyn Fn(&Path) -> Result<(), LoadError>) -> usize {
    let mut failures = Vec::new();
    let all = files(kind);
    for path in &all {
        let want = header(path);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load(path)));
        let problem = match outcome {
            Err(_) => Some("panicked".to_owned()),
            Ok(Ok(())) => Some("was accepted".to_owned()),
            Ok(Err(LoadError::Io { source, .. })) => Some(format!("I/O error: {source}")),
            Ok(Err(LoadError::Invalid { diagnostics })) => match diagnostics.first() {
                None => Some("Invalid without diagnostics".to_owned()),
                Some(d) => {
                    let text = d.to_string();
                    if d.line != want.line
                        || d.column != want.column
                        || !d.message.contains(&want.substring)
                        || !text.starts_with(&format!(
                            "{}:{}:{}: ",
                            path.display(),
                            d.line,
                            d.column
                        ))
                    {
                        Some(format!(
                            "expected {}:{} `{}`, got {}:{} `{}`",
                            want.line, want.column, want.substring, d.line, d.column, d.message
                        ))
                    } else {
                        None
                    }
                }
            },
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {kind} files:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    all.len()
}

#[test]
fn malformed_scenarios_are_rejected_at_the_right_place() {
    let n = check("scenario", &|p| load_scenarios(p, &refs).map(|_| ()));
    assert!(n >= 25, "only {n} malformed scenario files");
}

#[test]
fn malformed_labs_are_rejected_at_the_right_place() {
    let n = check("lab", &|p| load_lab(p).map(|_| ()));
    assert!(n >= 10, "only {n} malformed lab files");
}

#[test]
fn corpus_is_large_enough() {
    assert!(files("scenario").len() + files("lab").len() >= 35);
}
