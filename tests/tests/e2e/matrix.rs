//! A scenario with a `matrix` on the virtual lab: one case per variant with the values in its
//! id, JUnit testcase name and results.json, one evidence folder per variant, and `--filter` /
//! `--shard` / `farend validate` that understand variants.

use farend_e2e::*;
use quick_junit::TestCaseStatus;
use std::path::{Path, PathBuf};

/// Short DTMF calls: 2 digit strings x 2 pauses = 4 variants. `123` is a YAML number that
/// lands in text fields; `*0#` is quoted because `*` starts an alias in YAML.
const SCENARIO: &str = "\
name: dtmf-matrix
parties: { a: {}, b: {} }
matrix:
  digits: [123, \"*0#\"]
  pause: [100ms, 300ms]
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 20s }
  - answer: { party: b }
  - wait: { party: [a, b], state: offhook, within: 10s }
  - sleep: \"${pause}\"
  - play: { ref: \"tones/dtmf-${digits}\", into: a, record: b, margin: 300ms }
    name: digits ${digits} after ${pause}
    expect: { dtmf: \"${digits}\" }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";

fn scenario_file(dir: &Path) -> PathBuf {
    let suite = dir.join("matrix");
    std::fs::create_dir_all(&suite).unwrap();
    let file = suite.join("dtmf-matrix.yaml");
    std::fs::write(&file, SCENARIO).unwrap();
    file
}

const IDS: [&str; 4] = [
    "dtmf-matrix[digits=123,pause=100ms]#1",
    "dtmf-matrix[digits=123,pause=300ms]#1",
    "dtmf-matrix[digits=*0#,pause=100ms]#1",
    "dtmf-matrix[digits=*0#,pause=300ms]#1",
];

#[test]
fn every_variant_is_a_case_with_its_values_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path());

    let out = run(farend().arg("validate").arg(&file));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("matrix digits x pause = 4 variant(s), 4 case(s)"),
        "{stdout}"
    );

    let reports = dir.path().join("out");
    let output = run(farend()
        .arg("run")
        .arg(&file)
        .args(["--jobs", "2", "--out"])
        .arg(&reports));
    assert_eq!(output.status.code(), Some(0), "every variant passes");
    let run_dir = only_run_dir(&reports);
    let results = read_results(&run_dir);
    let ids: Vec<&str> = results.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, IDS);

    // results.json: the values of each variant, as strings, in the scenario's order.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["cases"][2]["matrix"],
        serde_json::json!({"digits": "*0#", "pause": "100ms"})
    );
    assert_eq!(
        results.cases[1].matrix,
        [
            ("digits".to_owned(), "123".to_owned()),
            ("pause".to_owned(), "300ms".to_owned())
        ]
    );
    // The substituted values did their work: the digits were expected and found.
    for case in &results.cases {
        let dtmf = case.checks.iter().find(|c| c.name == "dtmf").expect("dtmf");
        assert!(dtmf.passed, "{}: {dtmf:?}", case.id);
        assert!(dtmf.expected.contains(&case.matrix[0].1), "{dtmf:?}");
    }

    // JUnit: one testcase per variant, the variant visible in its name, all in one suite.
    let junit = run_dir.join("junit.xml");
    assert_junit_valid(&junit);
    let report = read_junit(&junit);
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "matrix.dtmf-matrix");
    let names: Vec<&str> = suite.test_cases.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "dtmf-matrix[digits=123,pause=100ms] #1",
            "dtmf-matrix[digits=123,pause=300ms] #1",
            "dtmf-matrix[digits=*0#,pause=100ms] #1",
            "dtmf-matrix[digits=*0#,pause=300ms] #1",
        ]
    );
    for tc in &suite.test_cases {
        assert!(matches!(tc.status, TestCaseStatus::Success { .. }));
        assert!(
            tc.properties
                .iter()
                .any(|p| p.name.as_str() == "matrix.pause"),
            "{} has matrix properties",
            tc.name.as_str()
        );
    }

    // Evidence: one folder per variant, directly under cases/, holding that case's files.
    let cases_dir = run_dir.join("cases");
    let folders: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 4, "{folders:?}");
    for case in &results.cases {
        let recording = case
            .attachments
            .iter()
            .find(|a| a.kind == "recording")
            .expect("a recording");
        let path = run_dir.join(&recording.path);
        assert!(path.is_file(), "{}", path.display());
        // `cases/<folder>/<file>`: the values made no sub-folders.
        assert_eq!(recording.path.matches('/').count(), 2, "{}", recording.path);
        assert_eq!(path.parent().unwrap().parent().unwrap(), cases_dir);
    }

    // The HTML report names the variants.
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(html.contains("dtmf-matrix[digits=*0#,pause=300ms]#1"));
}

#[test]
fn filter_and_shard_select_variants() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path());
    let reports = dir.path().join("out");
    // The filter keeps the two `digits=123` variants; shard 2/2 keeps the second of them.
    let output = run(farend()
        .arg("run")
        .arg(&file)
        .args(["--filter", "digits=123", "--shard", "2/2", "--out"])
        .arg(&reports));
    assert_eq!(output.status.code(), Some(0));
    let results = read_results(&only_run_dir(&reports));
    let ids: Vec<&str> = results.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [IDS[1]]);

    let output = run(farend()
        .arg("run")
        .arg(&file)
        .args(["--filter", "dtmf-matrix[digits=*0#,pause=100ms]", "--out"])
        .arg(dir.path().join("none")));
    // With `*` the filter is a glob over a whole name; here it matches one label exactly.
    assert_eq!(output.status.code(), Some(0));
    let results = read_results(&only_run_dir(&dir.path().join("none")));
    let ids: Vec<&str> = results.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [IDS[2]]);
}

#[test]
fn a_bad_matrix_value_is_bad_input_at_its_reference() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, SCENARIO.replace("[123, \"*0#\"]", "[123, \"12x\"]")).unwrap();
    let out = run(farend().arg("run").arg(&file).arg("--out").arg(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yaml:12:18: unknown reference `tones/dtmf-12x`")
            && stderr.contains("(from matrix digits=12x)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.yaml:14:21: `dtmf` digit `x`"),
        "{stderr}"
    );
}
