//! docs/results-json.md and the results.json section of README.md say the same thing, and both
//! document every field a case has.

use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// README's `### results.json` section up to the next `## ` heading, with the two extra heading
/// levels removed and the pointer to the docs file left out.
fn readme_section() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("\n### results.json\n")
        .expect("README has the section")
        + 1;
    let rest = &readme[start..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
    rest[..end]
        .lines()
        .filter(|l| !l.starts_with("(This section is kept in"))
        .map(|l| {
            l.strip_prefix("##")
                .filter(|_| l.starts_with("###"))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn readme_and_docs_agree_on_results_json() {
    let docs = std::fs::read_to_string(repo().join("docs/results-json.md")).unwrap();
    let readme = readme_section();
    let (docs, readme) = (docs.trim_end(), readme.trim_end());
    if docs != readme {
        let first = docs
            .lines()
            .zip(readme.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(docs.lines().count().min(readme.lines().count()));
        panic!(
            "docs/results-json.md and README.md differ from line {} of the docs:\n  docs:   {:?}\n  README: {:?}",
            first + 1,
            docs.lines().nth(first),
            readme.lines().nth(first)
        );
    }
}

#[test]
fn every_case_field_is_documented() {
    let docs = std::fs::read_to_string(repo().join("docs/results-json.md")).unwrap();
    for field in [
        "id",
        "suite",
        "scenario",
        "scenario_file",
        "iteration",
        "iterations",
        "matrix",
        "network",
        "verdict",
        "started_at",
        "duration_s",
        "parties",
        "steps",
        "events",
        "measurements",
        "tracks",
        "checks",
        "attachments",
        "timing",
    ] {
        assert!(
            docs.contains(&format!("| `{field}` ")),
            "`{field}` is documented"
        );
    }
}
