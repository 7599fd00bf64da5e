//! Writers end to end: JUnit (schema-validated with xmllint and read back with quick-junit),
//! results JSON (round trip) and HTML (escaping), with hostile strings and an empty run.

use std::path::{Path, PathBuf};
use std::process::Command;

use farend_report::{
    Attachment, CallEvent, CaseReport, Check, ErrorKind, FailureKind, HandsetInfo, LabInfo,
    Measurement, PartyBinding, ReportError, RunReport, StepOutcome, StepReport, Timing, Verdict,
    html, junit_xml, read_results, write_all, xml_safe,
};
use quick_junit::{NonSuccessKind, TestCaseStatus};

/// Text built to break writers: quotes, markup, CDATA end, entities, ANSI escapes, NUL and
/// other controls, a C1 control, a non-character, emoji and right-to-left text.
fn hostile() -> String {
    "q\"uo'te <b>bold</b> & &amp; ]]> \u{1b}[31mred\u{1b}[0m nul\u{0} bell\u{7} c1\u{9b}x \
     nonchar\u{ffff} emoji 😀📞 rtl \u{202e}abc <script>alert(1)</script> <!-- c --> \r\n end"
        .to_string()
}

fn long() -> String {
    let mut s = hostile();
    while s.len() < 50_000 {
        s.push_str(" long<&>");
    }
    s
}

fn case(n: u32, suite: &str, scenario: &str, verdict: Verdict) -> CaseReport {
    CaseReport {
        id: format!("{suite}/{scenario}#{n}"),
        suite: suite.to_string(),
        scenario: scenario.to_string(),
        scenario_file: format!("scenarios/{scenario}.yaml"),
        iteration: n,
        iterations: 3,
        matrix: Vec::new(),
        network: None,
        verdict,
        started_at: format!("2026-11-21T05:3{n}:17.250Z"),
        duration_s: 12.5 + f64::from(n),
        parties: vec![
            PartyBinding {
                role: "a".into(),
                handset: "pixel-7-a".into(),
                number: "*********0001".into(),
            },
            PartyBinding {
                role: "b".into(),
                handset: "virt-b".into(),
                number: "*********0002".into(),
            },
        ],
        steps: vec![
            StepReport {
                index: 1,
                name: None,
                keyword: "dial".into(),
                description: "a dials b".into(),
                started_ms: 0.0,
                duration_ms: 120.0,
                outcome: StepOutcome::Ok,
                message: None,
            },
            StepReport {
                index: 5,
                name: Some(hostile()),
                keyword: "play".into(),
                description: hostile(),
                started_ms: 3000.0,
                duration_ms: 8000.0,
                outcome: StepOutcome::Failed,
                message: Some(hostile()),
            },
            StepReport {
                index: 6,
                name: None,
                keyword: "hangup".into(),
                description: "a hangs up".into(),
                started_ms: 11000.0,
                duration_ms: 0.0,
                outcome: StepOutcome::Skipped,
                message: None,
            },
        ],
        events: vec![
            CallEvent {
                at_ms: 10.0,
                party: "a".into(),
                event: "dial *********0002".into(),
                source: farend_report::EventSource::Step,
            },
            CallEvent {
                at_ms: 900.0,
                party: "b".into(),
                event: "state idle->ringing".into(),
                source: farend_report::EventSource::Step,
            },
            CallEvent {
                at_ms: 1500.0,
                party: "b".into(),
                event: hostile(),
                source: farend_report::EventSource::Step,
            },
        ],
        measurements: vec![
            Measurement {
                step: 5,
                name: "delay_ms".into(),
                value: 187.5,
                unit: "ms".into(),
                direction: Some("a->b".into()),
                band: None,
                standard: None,
            },
            Measurement {
                step: 5,
                name: "mos_lqo".into(),
                value: 3.21,
                unit: "MOS".into(),
                direction: Some("a->b".into()),
                band: Some("wb".into()),
                standard: Some("ITU-T P.862.2 with Corrigendum 2 (2018)".into()),
            },
            Measurement {
                step: 5,
                name: "level_dbov".into(),
                value: -26.0,
                unit: "dBov".into(),
                direction: None,
                band: None,
                standard: None,
            },
        ],
        tracks: Vec::new(),
        checks: vec![
            Check {
                step: 5,
                name: "mos_lqo".into(),
                expected: ">= 3.5".into(),
                actual: "3.21".into(),
                passed: false,
            },
            Check {
                step: 5,
                name: "dtmf".into(),
                expected: hostile(),
                actual: "\"12\"".into(),
                passed: true,
            },
        ],
        attachments: vec![
            Attachment {
                kind: "reference".into(),
                path: format!("cases/{n}/a-mic.wav"),
                party: Some("a".into()),
                step: Some(5),
            },
            Attachment {
                kind: "recording".into(),
                path: format!("cases/{n}/b ear <x>.wav"),
                party: Some("b".into()),
                step: Some(5),
            },
            Attachment {
                kind: "logcat".into(),
                path: format!("cases/{n}/logcat.txt"),
                party: None,
                step: None,
            },
        ],
        timing: Timing {
            audio_s: 8.0,
            waits_s: 3.0,
            overhead_s: 1.5,
        },
    }
}

/// A run with every verdict kind, two scenarios and hostile text everywhere a user or
/// device can put text.
fn hostile_report() -> RunReport {
    let cases = vec![
        case(1, "smoke", "mo-call", Verdict::Pass),
        case(
            2,
            "smoke",
            "mo-call",
            Verdict::Failure {
                kind: FailureKind::MosBelowThreshold,
                message: long(),
                failures: Vec::new(),
            },
        ),
        case(
            3,
            "smoke",
            "mo-call",
            Verdict::Error {
                kind: ErrorKind::DeviceOffline,
                message: "adb: device offline".into(),
                device: Some("pixel-7-a".into()),
            },
        ),
        case(
            1,
            "smoke",
            &hostile(),
            Verdict::Skipped { reason: hostile() },
        ),
        case(
            2,
            "smoke",
            "dtmf",
            Verdict::Failure {
                kind: FailureKind::DtmfMismatch,
                message: "expected \"123\", got \"12\"".into(),
                failures: Vec::new(),
            },
        ),
        case(
            3,
            "smoke",
            "dtmf",
            Verdict::Error {
                kind: ErrorKind::SoundCardFailure,
                message: hostile(),
                device: None,
            },
        ),
    ];
    RunReport {
        run_id: "20261121-053117-abcd".into(),
        farend_version: "0.1.0".into(),
        started_at: "2026-11-21T05:31:17.120Z".into(),
        duration_s: 93.25,
        lab: LabInfo {
            kind: "virtual".into(),
            source: Some(hostile()),
            handsets: vec![
                HandsetInfo {
                    id: "pixel-7-a".into(),
                    serial: "127.0.0.1:7001".into(),
                    model: Some("Pixel 7".into()),
                    manufacturer: Some("Google".into()),
                    android_release: Some("14".into()),
                    number: "*********0001".into(),
                },
                HandsetInfo {
                    id: "virt-b".into(),
                    serial: "127.0.0.1:7003".into(),
                    model: Some(hostile()),
                    manufacturer: None,
                    android_release: None,
                    number: "*********0002".into(),
                },
            ],
        },
        redacted: true,
        plan: Default::default(),
        cases,
    }
}

fn empty_report() -> RunReport {
    RunReport {
        run_id: "empty".into(),
        farend_version: "0.1.0".into(),
        started_at: "2026-11-21T05:31:17Z".into(),
        duration_s: 0.0,
        lab: LabInfo {
            kind: "file".into(),
            source: Some("lab.yaml".into()),
            handsets: vec![],
        },
        redacted: false,
        plan: Default::default(),
        cases: vec![],
    }
}

fn schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/junit.xsd")
}

/// Runs `xmllint --schema` on `file`; `None` when xmllint is missing (outside CI).
fn xmllint(file: &Path) -> Option<(bool, String)> {
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg(file)
        .output();
    match output {
        Ok(out) => Some((
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
                panic!("xmllint is required in CI (install libxml2-utils): {e}");
            }
            eprintln!("skipping schema validation: xmllint not available ({e})");
            None
        }
    }
}

#[test]
fn junit_of_hostile_report_validates_against_schema() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&hostile_report(), dir.path()).unwrap();
    let Some((ok, stderr)) = xmllint(&files.junit) else {
        return;
    };
    assert!(ok, "xmllint rejected junit.xml: {stderr}");
}

#[test]
fn junit_of_empty_report_validates_against_schema() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&empty_report(), dir.path()).unwrap();
    let xml = std::fs::read_to_string(&files.junit).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(parsed.tests, 0);
    assert!(parsed.test_suites.is_empty());
    let Some((ok, stderr)) = xmllint(&files.junit) else {
        return;
    };
    assert!(ok, "xmllint rejected empty junit.xml: {stderr}");
}

#[test]
fn schema_rejects_malformed_junit() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        // testcase without a name
        r#"<testsuites><testsuite name="s" tests="1"><testcase classname="c"/></testsuite></testsuites>"#,
        // failure and error in one testcase
        r#"<testsuites><testsuite name="s" tests="1"><testcase name="t"><failure/><error/></testcase></testsuite></testsuites>"#,
        // negative count
        r#"<testsuites><testsuite name="s" tests="-1"/></testsuites>"#,
        // property without a name
        r#"<testsuites><testsuite name="s" tests="1"><testcase name="t"><properties><property value="1"/></properties></testcase></testsuite></testsuites>"#,
        // system-out before the failure
        r#"<testsuites><testsuite name="s" tests="1"><testcase name="t"><system-out>x</system-out><failure/></testcase></testsuite></testsuites>"#,
        // non-numeric time
        r#"<testsuites><testsuite name="s" tests="1"><testcase name="t" time="soon"/></testsuite></testsuites>"#,
    ];
    for (i, xml) in bad.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.xml"));
        std::fs::write(&path, xml).unwrap();
        let Some((ok, _)) = xmllint(&path) else {
            return;
        };
        assert!(!ok, "schema accepted malformed document {i}: {xml}");
    }
    let good = r#"<testsuites name="x"><testsuite name="s" tests="1" failures="1" time="1.5"><testcase name="t" classname="c" time="0.250"><properties><property name="p" value="1"/></properties><failure message="m" type="T">body</failure><system-out>[[ATTACHMENT|/tmp/x.wav]]</system-out></testcase></testsuite></testsuites>"#;
    let path = dir.path().join("good.xml");
    std::fs::write(&path, good).unwrap();
    if let Some((ok, stderr)) = xmllint(&path) {
        assert!(ok, "schema rejected a well-formed document: {stderr}");
    }
}

#[test]
fn junit_reads_back_with_counts_types_and_properties() {
    let report = hostile_report();
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&report, dir.path()).unwrap();
    let xml = std::fs::read_to_string(&files.junit).unwrap();

    // Invalid XML characters are replaced, never written raw.
    for bad in ['\u{0}', '\u{1b}', '\u{7}', '\u{9b}', '\u{ffff}'] {
        assert!(!xml.contains(bad), "raw {:?} in junit.xml", bad);
    }
    assert!(!xml.contains("<script>"), "unescaped markup in junit.xml");

    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let counts = report.counts();
    assert_eq!(parsed.name.as_deref(), Some("farend"));
    assert_eq!(parsed.tests, counts.total);
    assert_eq!(parsed.failures, counts.failed);
    assert_eq!(parsed.errors, counts.errors);
    assert_eq!(parsed.skipped, counts.skipped);
    assert_eq!(
        (counts.passed, counts.failed, counts.errors, counts.skipped),
        (1, 2, 2, 1)
    );

    // One suite per scenario, in order of first appearance.
    let suite_names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    let hostile_suite = xml_safe(&format!("smoke.{}", hostile()));
    assert_eq!(
        suite_names,
        ["smoke.mo-call", hostile_suite.as_str(), "smoke.dtmf"]
    );
    let mo = &parsed.test_suites[0];
    assert_eq!((mo.tests, mo.failures, mo.errors, mo.skipped), (3, 1, 1, 0));
    let names: Vec<&str> = mo.test_cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["mo-call #1", "mo-call #2", "mo-call #3"]);
    for tc in &mo.test_cases {
        assert_eq!(tc.classname.as_deref(), Some("smoke.mo-call"));
    }
    let time = mo.test_cases[1].time.unwrap().as_secs_f64();
    assert!((time - 14.5).abs() < 1e-3, "time {time}");

    // Hostile names survive as their XML-safe form.
    let skipped = &parsed.test_suites[1].test_cases[0];
    assert_eq!(
        skipped.name.as_str(),
        xml_safe(&format!("{} #1", hostile()))
    );
    match &skipped.status {
        TestCaseStatus::Skipped { message, .. } => {
            let m = message.as_deref().unwrap();
            assert!(m.contains("😀📞") && m.contains("]]>") && m.contains("<script>"));
        }
        other => panic!("expected skipped, got {other:?}"),
    }

    // Failure and error types and messages.
    let mut types = Vec::new();
    for suite in &parsed.test_suites {
        for tc in &suite.test_cases {
            if let TestCaseStatus::NonSuccess {
                kind,
                ty,
                message,
                description,
                ..
            } = &tc.status
            {
                types.push((*kind, ty.as_deref().unwrap().to_string()));
                assert!(message.as_deref().is_some_and(|m| !m.is_empty()));
                assert!(description.is_some());
            }
        }
    }
    assert_eq!(
        types,
        [
            (NonSuccessKind::Failure, "MosBelowThreshold".to_string()),
            (NonSuccessKind::Error, "DeviceOffline".to_string()),
            (NonSuccessKind::Failure, "DtmfMismatch".to_string()),
            (NonSuccessKind::Error, "SoundCardFailure".to_string()),
        ]
    );
    if let TestCaseStatus::NonSuccess { message, .. } = &mo.test_cases[2].status {
        assert!(
            message.as_deref().unwrap().contains("pixel-7-a"),
            "error names the device"
        );
    }
    // The long failure message is bounded in the attribute and complete in the body.
    if let TestCaseStatus::NonSuccess {
        message,
        description,
        ..
    } = &mo.test_cases[1].status
    {
        assert!(message.as_deref().unwrap().chars().count() <= 1001);
        let body = description.as_deref().unwrap();
        assert!(body.len() >= 50_000);
        // The failing check names its step by the step's (hostile) name.
        assert!(body.contains("\nstep 5 \"q\"uo'te <b>bold</b>"), "{body}");
        assert!(body.contains("\" mos_lqo: expected >= 3.5, actual 3.21"));
    }

    // Measurements, checks and bindings as testcase properties.
    let props: Vec<(&str, &str)> = mo.test_cases[0]
        .properties
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    for expected in [
        ("step5.a->b.delay_ms", "187.5"),
        ("step5.a->b.mos_lqo", "3.21"),
        ("step5.level_dbov", "-26"),
        ("party.a.handset", "pixel-7-a"),
        ("party.a.model", "Pixel 7"),
        ("party.a.manufacturer", "Google"),
        ("party.a.android_release", "14"),
        ("party.a.number", "*********0001"),
        ("party.b.serial", "127.0.0.1:7003"),
        ("step5.check.mos_lqo", "fail: expected >= 3.5, actual 3.21"),
    ] {
        assert!(
            props.contains(&expected),
            "missing property {expected:?} in {props:?}"
        );
    }
    let suite_props: Vec<&str> = mo.properties.iter().map(|p| p.name.as_str()).collect();
    assert!(suite_props.contains(&"farend.run_id") && suite_props.contains(&"lab.kind"));

    // system-out: step log and attachment paths relative to the folder of junit.xml.
    let out = mo.test_cases[0].system_out.as_deref().unwrap();
    let attachment_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("[[ATTACHMENT|"))
        .collect();
    // The recording comes first (GitLab links only the first attachment).
    assert_eq!(
        attachment_lines,
        [
            "[[ATTACHMENT|cases/1/b ear <x>.wav]]",
            "[[ATTACHMENT|cases/1/a-mic.wav]]",
            "[[ATTACHMENT|cases/1/logcat.txt]]"
        ]
    );
    for line in attachment_lines {
        let path = &line["[[ATTACHMENT|".len()..line.len() - 2];
        assert!(
            files
                .junit
                .parent()
                .unwrap()
                .join(path)
                .starts_with(dir.path()),
            "{path} resolves inside the report folder"
        );
    }
    assert!(out.contains("a dials b") && out.contains("state idle->ringing"));
}

#[test]
fn junit_without_root_keeps_relative_attachment_paths() {
    let xml = junit_xml(&hostile_report()).unwrap();
    assert!(xml.contains("[[ATTACHMENT|cases/1/a-mic.wav]]"));
}

#[test]
fn results_json_round_trips() {
    let report = hostile_report();
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&report, dir.path()).unwrap();
    assert_eq!(files.json, dir.path().join("results.json"));
    let back = read_results(&files.json).unwrap();
    assert_eq!(back, report);

    // No temporary files are left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["junit.xml", "report.html", "results.json"]);

    // Writing again replaces the files.
    let mut second = report.clone();
    second.run_id = "second".into();
    write_all(&second, dir.path()).unwrap();
    assert_eq!(read_results(&files.json).unwrap().run_id, "second");
}

#[test]
fn results_json_shape_is_documented_shape() {
    let report = hostile_report();
    let value: serde_json::Value =
        serde_json::from_str(&farend_report::results_json(&report).unwrap()).unwrap();
    let cases = value["cases"].as_array().unwrap();
    assert_eq!(cases[0]["verdict"], serde_json::json!({"status": "pass"}));
    assert_eq!(cases[1]["verdict"]["status"].as_str(), Some("failure"));
    assert_eq!(
        cases[1]["verdict"]["kind"].as_str(),
        Some("MosBelowThreshold")
    );
    assert_eq!(
        cases[2]["verdict"],
        serde_json::json!({"status": "error", "kind": "DeviceOffline",
            "message": "adb: device offline", "device": "pixel-7-a"})
    );
    assert_eq!(cases[3]["verdict"]["status"].as_str(), Some("skipped"));
    assert_eq!(cases[0]["steps"][1]["outcome"].as_str(), Some("failed"));
    assert_eq!(
        cases[0]["measurements"][0]["direction"].as_str(),
        Some("a->b")
    );
    assert_eq!(value["lab"]["kind"].as_str(), Some("virtual"));
    assert_eq!(value["redacted"], serde_json::json!(true));
}

#[test]
fn non_finite_numbers_become_null_and_read_back_as_nan() {
    let mut report = hostile_report();
    report.cases[0].measurements[0].value = f64::NAN;
    report.cases[0].duration_s = f64::INFINITY;
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&report, dir.path()).unwrap();
    let text = std::fs::read_to_string(&files.json).unwrap();
    assert!(text.contains("\"value\": null"));
    let back = read_results(&files.json).unwrap();
    assert!(back.cases[0].measurements[0].value.is_nan());
    assert!(back.cases[0].duration_s.is_nan());
    // The other writers cope too.
    let Some((ok, stderr)) = xmllint(&files.junit) else {
        return;
    };
    assert!(ok, "{stderr}");
}

#[test]
fn read_results_reports_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    assert!(matches!(
        read_results(&missing),
        Err(ReportError::Io { .. })
    ));
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"run_id\": 3}").unwrap();
    let err = read_results(&garbage).unwrap_err();
    assert!(matches!(err, ReportError::Json { .. }));
    assert!(err.to_string().contains("garbage.json"));
}

#[test]
fn write_all_reports_unwritable_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = write_all(&empty_report(), &file.join("run")).unwrap_err();
    assert!(matches!(err, ReportError::Io { .. }), "{err}");
}

#[test]
fn html_escapes_hostile_text() {
    let page = html(&hostile_report());
    assert!(!page.contains("<script"), "raw <script> in the HTML report");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<b>bold"));
    assert!(!page.contains("<!-- c -->"));
    for bad in ['\u{0}', '\u{1b}', '\u{7}', '\u{9b}'] {
        assert!(!page.contains(bad), "raw {bad:?} in the HTML report");
    }
    assert!(page.contains("😀📞"));
    // Self-contained: no external assets, no scripts.
    for external in ["<link", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(external), "external reference {external}");
    }
}

#[test]
fn html_shows_summary_cases_and_evidence() {
    let page = html(&hostile_report());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("20261121-053117-abcd"));
    assert!(page.contains("6 cases") && page.contains("1 passed") && page.contains("2 failed"));
    assert!(page.contains("2 errors") && page.contains("1 skipped"));
    assert!(page.contains("class=\"badge failure\""));
    assert!(page.contains("MosBelowThreshold"));
    assert!(page.contains("DeviceOffline (pixel-7-a)"));
    assert!(page.contains("<audio controls preload=\"none\" src=\"cases/1/a-mic.wav\">"));
    assert!(page.contains("href=\"cases/1/b%20ear%20%3Cx%3E.wav\""));
    assert!(page.contains("href=\"cases/1/logcat.txt\""));
    assert!(!page.contains("src=\"cases/1/logcat.txt\""));
    assert!(page.contains("state idle-&gt;ringing"));
    assert!(page.contains("<svg"));
    assert!(page.contains("187.5") && page.contains("dBov"));
    assert_eq!(page.matches("<section id=\"case-").count(), 6);
    assert!(page.trim_end().ends_with("</html>"));
}

#[test]
fn html_of_empty_run() {
    let page = html(&empty_report());
    assert!(page.contains("0 cases"));
    assert!(page.contains("This run has no cases."));
    assert!(!page.contains("<section id=\"case-"));
}

#[test]
fn json_of_empty_run_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&empty_report(), dir.path().join("nested/run").as_path()).unwrap();
    assert_eq!(read_results(&files.json).unwrap(), empty_report());
    assert!(files.html.exists() && files.junit.exists());
}

#[test]
fn attachment_root_can_be_relative_for_gitlab() {
    let dir = tempfile::tempdir().unwrap();
    let files = farend_report::write_all_with_attachment_root(
        &hostile_report(),
        dir.path(),
        Path::new("reports/run-1"),
    )
    .unwrap();
    let xml = std::fs::read_to_string(files.junit).unwrap();
    assert!(xml.contains("[[ATTACHMENT|reports/run-1/cases/1/a-mic.wav]]"));
    assert!(!xml.contains(&format!("[[ATTACHMENT|{}", dir.path().display())));
}

/// The hostile report with its two `dtmf` cases made variants of a matrix whose values need
/// escaping everywhere.
fn matrix_report() -> RunReport {
    let mut report = hostile_report();
    for (case, digits) in report.cases[4..].iter_mut().zip(["123", "<&\"]]>"]) {
        case.matrix = vec![
            ("ref".into(), "tones/dtmf-x".into()),
            ("digits".into(), digits.into()),
        ];
        case.id = format!("{}#{}", case.variant(), case.iteration);
    }
    report
}

#[test]
fn matrix_variants_show_in_json_junit_and_html() {
    let report = matrix_report();
    assert_eq!(
        report.cases[4].variant(),
        "dtmf[ref=tones/dtmf-x,digits=123]"
    );
    assert_eq!(report.cases[0].variant(), "mo-call");

    // results.json: an object in the scenario's order (not sorted), absent without a matrix.
    let text = farend_report::results_json(&report).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value["cases"][4]["matrix"],
        serde_json::json!({"ref": "tones/dtmf-x", "digits": "123"})
    );
    let at = |pair: &str| text.find(pair).expect("the pair is written");
    assert!(
        at("\"ref\": \"tones/dtmf-x\"") < at("\"digits\": \"123\""),
        "file order kept"
    );
    assert!(
        value["cases"][0].get("matrix").is_none(),
        "left out when empty"
    );
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&report, dir.path()).unwrap();
    assert_eq!(read_results(&files.json).unwrap(), report);

    // JUnit: the variant is in the testcase name, the values are properties, all escaped.
    if let Some((valid, output)) = xmllint(&files.junit) {
        assert!(valid, "junit.xml with a matrix fits the schema: {output}");
    }
    let xml = std::fs::read_to_string(&files.junit).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let dtmf = parsed
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == "smoke.dtmf")
        .unwrap();
    let names: Vec<&str> = dtmf.test_cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "dtmf[ref=tones/dtmf-x,digits=123] #2",
            "dtmf[ref=tones/dtmf-x,digits=<&\"]]>] #3"
        ]
    );
    let props: Vec<(&str, &str)> = dtmf.test_cases[1]
        .properties
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .filter(|(n, _)| n.starts_with("matrix."))
        .collect();
    assert_eq!(
        props,
        [("matrix.ref", "tones/dtmf-x"), ("matrix.digits", "<&\"]]>")]
    );

    // HTML: the values are shown, escaped.
    let page = html(&report);
    assert!(
        page.contains("<code>digits=&lt;&amp;&quot;]]&gt;</code>"),
        "escaped value"
    );
    assert!(page.contains("<code>ref=tones/dtmf-x</code>"));
}

/// A failed case whose step 5 (named) played a->b and step 7 played b->a, and step 7 failed.
fn two_direction_case() -> CaseReport {
    let mut case = case(
        1,
        "smoke",
        "both-ways",
        Verdict::from_failures(vec![
            farend_report::FailureDetail {
                step: 7,
                kind: FailureKind::DelayTooHigh,
                message: "b->a: delay 450.0 ms, expected <= 400 ms".into(),
            },
            farend_report::FailureDetail {
                step: 7,
                kind: FailureKind::LevelOutOfRange,
                message: "b->a: active level -45.0 dBov, expected -30 to -10 dBov".into(),
            },
        ])
        .expect("two failures"),
    );
    case.steps = vec![
        StepReport {
            index: 5,
            name: Some("speech a to b".into()),
            keyword: "play".into(),
            description: "a plays speech/en-f1 to b".into(),
            started_ms: 0.0,
            duration_ms: 8000.0,
            outcome: StepOutcome::Ok,
            message: None,
        },
        StepReport {
            index: 7,
            name: Some("speech b to a".into()),
            keyword: "play".into(),
            description: "b plays speech/en-m1 to a".into(),
            started_ms: 8000.0,
            duration_ms: 8000.0,
            outcome: StepOutcome::Failed,
            message: Some("b->a: delay 450.0 ms, expected <= 400 ms".into()),
        },
    ];
    case.checks = vec![
        Check {
            step: 7,
            name: "delay_ms".into(),
            expected: "<= 400 ms".into(),
            actual: "450.0".into(),
            passed: false,
        },
        Check {
            step: 7,
            name: "level_dbov".into(),
            expected: "-30 to -10 dBov".into(),
            actual: "-45.0".into(),
            passed: false,
        },
    ];
    let file = |kind: &str, path: &str, party: &str, step: Option<usize>| Attachment {
        kind: kind.into(),
        path: path.into(),
        party: Some(party.into()),
        step,
    };
    case.attachments = vec![
        file("command-log", "cases/c/commands-a.txt", "a", None),
        file(
            "reference",
            "cases/c/step05-a-to-b-reference.wav",
            "a",
            Some(5),
        ),
        file(
            "recording",
            "cases/c/step05-a-to-b-recording.wav",
            "b",
            Some(5),
        ),
        file(
            "reference",
            "cases/c/step07-b-to-a-reference.wav",
            "b",
            Some(7),
        ),
        file(
            "recording",
            "cases/c/step07-b-to-a-recording.wav",
            "a",
            Some(7),
        ),
    ];
    case
}

fn one_case_report(case: CaseReport) -> RunReport {
    RunReport {
        cases: vec![case],
        ..empty_report()
    }
}

#[test]
fn junit_attachments_are_relative_with_the_failing_direction_first() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&one_case_report(two_direction_case()), dir.path()).unwrap();
    let xml = std::fs::read_to_string(&files.junit).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let out = parsed.test_suites[0].test_cases[0]
        .system_out
        .as_deref()
        .unwrap();
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("[[ATTACHMENT|"))
        .collect();
    assert_eq!(
        lines,
        [
            "[[ATTACHMENT|cases/c/step07-b-to-a-recording.wav]]",
            "[[ATTACHMENT|cases/c/step05-a-to-b-recording.wav]]",
            "[[ATTACHMENT|cases/c/commands-a.txt]]",
            "[[ATTACHMENT|cases/c/step05-a-to-b-reference.wav]]",
            "[[ATTACHMENT|cases/c/step07-b-to-a-reference.wav]]",
        ]
    );
    assert!(!xml.contains(&dir.path().display().to_string()), "{xml}");
}

#[test]
fn step_names_show_in_json_junit_and_html() {
    let report = one_case_report(two_direction_case());
    let value: serde_json::Value =
        serde_json::from_str(&farend_report::results_json(&report).unwrap()).unwrap();
    let steps = &value["cases"][0]["steps"];
    assert_eq!(steps[0]["name"].as_str(), Some("speech a to b"));
    assert_eq!(steps[1]["name"].as_str(), Some("speech b to a"));
    // Without a name, no `name` field.
    let hostile = farend_report::results_json(&hostile_report()).unwrap();
    let hostile: serde_json::Value = serde_json::from_str(&hostile).unwrap();
    assert!(hostile["cases"][0]["steps"][0].get("name").is_none());

    let xml = junit_xml(&report).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let tc = &parsed.test_suites[0].test_cases[0];
    let out = tc.system_out.as_deref().unwrap();
    assert!(
        out.lines()
            .any(|l| l.contains("play") && l.contains("\"speech a to b\": a plays")),
        "{out}"
    );
    let TestCaseStatus::NonSuccess { description, .. } = &tc.status else {
        panic!("a failure: {:?}", tc.status);
    };
    let description = description.as_deref().unwrap();
    assert!(
        description.contains("step 7 \"speech b to a\" delay_ms: expected <= 400 ms"),
        "{description}"
    );

    let page = html(&report);
    assert!(
        page.contains("<td class=\"step-name\">speech b to a</td>"),
        "step row shows the name"
    );
    // Hostile names are escaped in every writer.
    let page = html(&hostile_report());
    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(page.contains("<td class=\"step-name\">q&quot;uo&#39;te &lt;b&gt;bold&lt;/b&gt;"));
}

#[test]
fn every_failure_is_in_the_message_and_in_results_json() {
    let report = one_case_report(two_direction_case());
    let value: serde_json::Value =
        serde_json::from_str(&farend_report::results_json(&report).unwrap()).unwrap();
    let verdict = &value["cases"][0]["verdict"];
    assert_eq!(
        verdict["kind"].as_str(),
        Some("DelayTooHigh"),
        "the first decides"
    );
    assert_eq!(
        verdict["message"].as_str(),
        Some(
            "b->a: delay 450.0 ms, expected <= 400 ms; \
             b->a: active level -45.0 dBov, expected -30 to -10 dBov"
        )
    );
    assert_eq!(
        verdict["failures"],
        serde_json::json!([
            {"step": 7, "kind": "DelayTooHigh",
             "message": "b->a: delay 450.0 ms, expected <= 400 ms"},
            {"step": 7, "kind": "LevelOutOfRange",
             "message": "b->a: active level -45.0 dBov, expected -30 to -10 dBov"}
        ])
    );
    // JUnit: the type is the first failure's, the message names both.
    let xml = junit_xml(&report).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let TestCaseStatus::NonSuccess { ty, message, .. } =
        &parsed.test_suites[0].test_cases[0].status
    else {
        panic!("a failure");
    };
    assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("DelayTooHigh"));
    let message = message.as_ref().map(|m| m.as_str()).unwrap_or_default();
    assert!(
        message.contains("delay 450.0 ms") && message.contains("active level -45.0 dBov"),
        "{message}"
    );
    // A results.json written before `failures` existed still reads.
    let old = r#"{"status": "failure", "kind": "NoAudio", "message": "silent"}"#;
    let old: Verdict = serde_json::from_str(old).unwrap();
    assert_eq!(
        old,
        Verdict::Failure {
            kind: FailureKind::NoAudio,
            message: "silent".into(),
            failures: Vec::new(),
        }
    );
}

#[test]
fn scores_name_their_band_and_standard_in_results_json() {
    let report = hostile_report();
    let value: serde_json::Value =
        serde_json::from_str(&farend_report::results_json(&report).unwrap()).unwrap();
    let measurements = value["cases"][0]["measurements"].as_array().unwrap();
    let mos = measurements
        .iter()
        .find(|m| m["name"] == "mos_lqo")
        .unwrap();
    assert_eq!(mos["band"].as_str(), Some("wb"));
    assert_eq!(
        mos["standard"].as_str(),
        Some("ITU-T P.862.2 with Corrigendum 2 (2018)")
    );
    let delay = measurements
        .iter()
        .find(|m| m["name"] == "delay_ms")
        .unwrap();
    assert!(delay.get("band").is_none() && delay.get("standard").is_none());
    let page = html(&report);
    assert!(page.contains("MOS (wb, ITU-T P.862.2 with Corrigendum 2 (2018))"));
}

#[test]
fn the_timeline_has_a_time_axis_and_says_who_saw_each_event() {
    let mut c = case(1, "smoke", "mo-call", Verdict::Pass);
    c.duration_s = 12.0;
    c.events = vec![
        CallEvent {
            at_ms: 100.0,
            party: "a".into(),
            event: "dial *********0002".into(),
            source: farend_report::EventSource::Step,
        },
        CallEvent {
            at_ms: 350.0,
            party: "b".into(),
            event: "state idle->ringing".into(),
            source: farend_report::EventSource::Monitor,
        },
    ];
    let page = html(&one_case_report(c));
    let svg = &page[page.find("<svg class=\"timeline\"").expect("timeline")..];
    let svg = &svg[..svg.find("</svg>").expect("end")];
    // Ticks every 1 s over the 12 s case: 0 s to 12 s.
    assert!(
        svg.contains(">0 s</text>") && svg.contains(">12 s</text>"),
        "{svg}"
    );
    assert!(
        svg.contains("(monitor (polled))") && svg.contains("(step)"),
        "{svg}"
    );
    assert!(page.contains("<th>Seen by</th>"));
    let json = farend_report::results_json(&one_case_report(case(1, "s", "x", Verdict::Pass)))
        .expect("json");
    assert!(
        json.contains("\"source\": \"step\""),
        "events carry their source"
    );
}

#[test]
fn a_long_run_opens_only_its_first_failures() {
    let failing = || Verdict::Failure {
        kind: FailureKind::NoAudio,
        message: "no audio".into(),
        failures: Vec::new(),
    };
    let mut report = one_case_report(case(1, "s", "x", Verdict::Pass));
    report.cases = (1..=40)
        .map(|n| {
            let verdict = if n % 3 == 0 { failing() } else { Verdict::Pass };
            case(n, "s", "x", verdict)
        })
        .collect();
    let page = html(&report);
    assert_eq!(page.matches("<details").count(), 40);
    let open: Vec<&str> = page.split("<details open>").skip(1).collect();
    assert_eq!(
        open.len(),
        10,
        "the first ten of thirteen failures are open"
    );
    assert!(
        open.iter()
            .all(|o| o[..o.find("</details>").expect("closed")].contains("v-failure")),
        "only failing cases are open"
    );
    // A run without failures opens its first case only.
    report
        .cases
        .iter_mut()
        .for_each(|c| c.verdict = Verdict::Pass);
    assert_eq!(html(&report).matches("<details open>").count(), 1);
}

#[test]
fn play_pictures_are_inlined_when_their_bytes_are_at_hand_and_linked_otherwise() {
    let mut report = hostile_report();
    let path = "cases/1/step05 <a>-plot.png".to_string();
    report.cases[0].attachments.push(Attachment {
        kind: farend_report::image::ATTACHMENT_KIND.into(),
        path: path.clone(),
        party: Some("b".into()),
        step: Some(5),
    });
    let bytes = b"\x89PNG fake".to_vec();
    let inlined = farend_report::html_with_images(&report, &|p| (p == path).then(|| bytes.clone()));
    assert!(inlined.contains("<h3>Plays</h3>"), "a plays section");
    assert!(
        inlined.contains("src=\"data:image/png;base64,iVBORyBmYWtl\""),
        "the bytes inlined as base64"
    );
    let linked = html(&report);
    assert!(
        linked.contains("src=\"cases/1/step05%20%3Ca%3E-plot.png\""),
        "linked, URL-encoded"
    );
    assert!(!linked.contains("step05 <a>"), "no raw markup from a path");
    // A report without pictures has no plays section.
    assert!(!html(&hostile_report()).contains("<h3>Plays</h3>"));
}
