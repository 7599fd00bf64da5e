//! `farend run scenarios/` on the built-in virtual lab: exit 0, a valid JUnit file that reads
//! back (one testcase per iteration and matrix variant), results.json with the measured delay,
//! and the evidence on disk.

use farend_e2e::*;
use quick_junit::{NonSuccessKind, TestCaseStatus};

#[test]
fn sample_scenarios_pass_on_the_virtual_lab_and_report_everything() {
    let out = tempfile::tempdir().unwrap();
    // As `make demo` runs them: four calls at once.
    let output = run(farend()
        .args(["run", "scenarios", "--jobs", "4", "--out"])
        .arg(out.path()));
    assert_eq!(output.status.code(), Some(0), "all sample scenarios pass");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(" passed, 0 failed, 0 error(s)"),
        "summary line: {stdout}"
    );

    let run_dir = only_run_dir(out.path());
    let junit = run_dir.join("junit.xml");
    assert_junit_valid(&junit);
    let report = read_junit(&junit);
    let results = read_results(&run_dir);

    // One <testcase> per call iteration, classname = suite.scenario.
    let testcases: Vec<_> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .collect();
    assert_eq!(testcases.len(), results.cases.len());
    assert_eq!(
        results.cases.len(),
        15,
        "1 + 3 repeats + 1 + 1 + 1 + 2 matrix variants + 5 network profiles + 1 dropped call"
    );
    // The matrix sample gives one testcase per variant, named with its values.
    let variants: Vec<&str> = testcases
        .iter()
        .map(|tc| tc.name.as_str())
        .filter(|n| n.starts_with("speech-matrix"))
        .collect();
    assert_eq!(
        variants,
        [
            "speech-matrix[ref=speech/en-f1,min_mos=3.8] #1",
            "speech-matrix[ref=speech/en-m1,min_mos=3.8] #1"
        ]
    );
    assert_eq!(report.tests, results.cases.len());
    for tc in &testcases {
        assert!(
            matches!(tc.status, TestCaseStatus::Success { .. }),
            "{} passed",
            tc.name.as_str()
        );
        let classname = tc.classname.as_ref().expect("classname").as_str();
        assert!(
            classname.starts_with("scenarios."),
            "classname is suite.scenario: {classname}"
        );
    }
    assert!(!testcases.iter().any(|tc| matches!(
        &tc.status,
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Error,
            ..
        }
    )));

    // The default profile's delay is 60 ms and G.711 adds none; every other profile's true
    // delay is in its case's network-truth.json.
    let delays: Vec<f64> = results
        .cases
        .iter()
        .flat_map(|c| &c.measurements)
        .filter(|m| m.name == "delay_ms")
        .map(|m| m.value)
        .collect();
    assert!(!delays.is_empty(), "delay is measured");
    for case in &results.cases {
        let truth = case
            .attachments
            .iter()
            .find(|a| a.kind == "network-truth")
            .unwrap_or_else(|| panic!("{} has network-truth.json", case.id));
        let truth: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run_dir.join(&truth.path)).unwrap())
                .unwrap();
        assert_eq!(truth["profile"].as_str(), case.network.as_deref());
        for m in case.measurements.iter().filter(|m| m.name == "delay_ms") {
            let dir = m.direction.as_deref().unwrap_or_default();
            let way = truth["directions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| {
                    format!(
                        "{}->{}",
                        w["from"].as_str().unwrap(),
                        w["to"].as_str().unwrap()
                    ) == dir
                })
                .unwrap_or_else(|| panic!("{}: no {dir} in {truth}", case.id));
            let history = playout_delays(way);
            assert!(
                history.iter().any(|d| (m.value - d).abs() <= 2.0),
                "{} {dir}: measured {} ms, true {history:?}",
                case.id,
                m.value
            );
            if case.network.as_deref() == Some("clean-g711") {
                assert_eq!(history, [60.0]);
            }
        }
    }
    // The MOS-LQO falls along the network profiles of the network sample.
    let mos_on = |net: &str| {
        results
            .cases
            .iter()
            .filter(|c| c.scenario == "network-profiles" && c.network.as_deref() == Some(net))
            .flat_map(|c| &c.measurements)
            .find(|m| m.name == "mos_lqo")
            .unwrap_or_else(|| panic!("a MOS-LQO on {net}"))
            .value
    };
    assert!(
        mos_on("clean-g711") > mos_on("lte-poor") + 0.5,
        "clean {} vs lte-poor {}",
        mos_on("clean-g711"),
        mos_on("lte-poor")
    );
    // Measurements are JUnit properties too.
    let delay_props = testcases
        .iter()
        .flat_map(|tc| &tc.properties)
        .filter(|p| p.name.as_str().ends_with("delay_ms") && !p.name.as_str().contains(".check."))
        .count();
    assert_eq!(delay_props, delays.len());

    // Every attachment exists; recordings are real WAVs with audio in them.
    for case in &results.cases {
        assert!(
            case.attachments.iter().any(|a| a.kind == "command-log"),
            "{} has command logs",
            case.id
        );
        for a in &case.attachments {
            let path = run_dir.join(&a.path);
            assert!(path.exists(), "attachment {}", path.display());
        }
        // JUnit attachment lines are relative to the folder holding junit.xml.
        let junit_text = std::fs::read_to_string(&junit).unwrap();
        for a in case.attachments.iter().filter(|a| a.kind == "recording") {
            assert!(junit_text.contains(&format!("[[ATTACHMENT|{}]]", a.path)));
        }
    }
    let junit_text = std::fs::read_to_string(&junit).unwrap();
    assert!(
        !junit_text.contains(&format!("[[ATTACHMENT|{}", run_dir.display())),
        "no absolute attachment paths"
    );
    // Named steps carry their names into results.json and the JUnit step log.
    let basic = results
        .cases
        .iter()
        .find(|c| c.scenario == "basic-call")
        .expect("basic-call ran");
    assert_eq!(basic.steps[0].name.as_deref(), Some("a calls b"));
    assert_eq!(basic.steps[1].name, None);
    let basic_log = testcases
        .iter()
        .find(|tc| tc.name.as_str() == "basic-call #1")
        .and_then(|tc| tc.system_out.as_deref())
        .expect("basic-call has a step log");
    assert!(
        basic_log.contains("\"a calls b\": "),
        "the step log names the step: {basic_log}"
    );
    // MOS-LQO, fingerprint, DTMF, tone and progress-tone checks ran and passed.
    let checks: Vec<&str> = results
        .cases
        .iter()
        .flat_map(|c| &c.checks)
        .map(|c| c.name.as_str())
        .collect();
    for name in [
        "mos_lqo",
        "fingerprint",
        "gaps",
        "level_dbov",
        "one_way_audio",
        "dtmf",
        "tone",
        "progress_tone",
    ] {
        assert!(
            checks.contains(&name),
            "a sample scenario checks {name}: {checks:?}"
        );
    }
    let mos_measurements: Vec<_> = results
        .cases
        .iter()
        .flat_map(|c| &c.measurements)
        .filter(|m| m.name == "mos_lqo")
        .collect();
    // Every score names its band, standard and edition.
    for m in &mos_measurements {
        assert_eq!(m.band.as_deref(), Some("nb"), "{m:?}");
        assert_eq!(
            m.standard.as_deref(),
            Some("ITU-T P.862 + P.862.1"),
            "{m:?}"
        );
    }
    let mos: Vec<f64> = results
        .cases
        .iter()
        .filter(|c| c.network.as_deref() == Some("clean-g711"))
        .flat_map(|c| &c.measurements)
        .filter(|m| m.name == "mos_lqo")
        .map(|m| m.value)
        .collect();
    assert!(
        mos.len() >= 8 && mos.iter().all(|m| (3.8..=4.6).contains(m)),
        "G.711 speech scores well: {mos:?}"
    );
    // Every scored direction carries its MOS-LQO track and delay per utterance over the
    // reference, and the page plots them; the KPIs count every call.
    for case in &results.cases {
        for m in case.measurements.iter().filter(|m| m.name == "mos_lqo") {
            let track = |name: &str| {
                case.tracks
                    .iter()
                    .find(|t| t.step == m.step && t.direction == m.direction && t.name == name)
                    .unwrap_or_else(|| panic!("{} step {}: no {name} track", case.id, m.step))
            };
            let mos = track("mos_lqo");
            assert!(mos.points.len() >= 2, "{mos:?}");
            assert!(
                mos.points
                    .iter()
                    .all(|p| (1.0..=4.65).contains(&p[2]) && p[0] < p[1]),
                "{mos:?}"
            );
            // Each utterance sits at a delay the network really had: one value on a fixed
            // path, the jitter buffer's steps on lte-poor.
            let delays = track("delay_ms");
            let truth = case
                .attachments
                .iter()
                .find(|a| a.kind == "network-truth")
                .map(|a| std::fs::read_to_string(run_dir.join(&a.path)).unwrap())
                .expect("network-truth.json");
            let truth: serde_json::Value = serde_json::from_str(&truth).unwrap();
            let dir = m.direction.as_deref().unwrap_or_default();
            let true_delays: Vec<f64> = truth["directions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|w| {
                    format!(
                        "{}->{}",
                        w["from"].as_str().unwrap(),
                        w["to"].as_str().unwrap()
                    ) == dir
                })
                .flat_map(|w| w["playout_delay_ms"].as_array().unwrap().clone())
                .map(|p| p[1].as_f64().unwrap())
                .collect();
            assert!(
                delays
                    .points
                    .iter()
                    .all(|p| true_delays.iter().any(|d| (p[2] - d).abs() < 5.0)),
                "each utterance at a true delay {true_delays:?}: {delays:?}"
            );
            assert!(track("disturbance").points.len() > 100);
        }
    }
    let page = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert_eq!(
        page.matches("<svg class=\"track\"").count(),
        mos_measurements.len(),
        "one quality plot per score"
    );
    assert!(page.contains("<h2>Campaign KPIs</h2>") && page.contains("mos-histogram"));
    // Every play has its picture (reference and recording as waveform and spectrogram): a PNG
    // beside the recording, inlined in the page.
    let recordings: Vec<&farend_report::Attachment> = results
        .cases
        .iter()
        .flat_map(|c| &c.attachments)
        .filter(|a| a.kind == "recording")
        .collect();
    for recording in &recordings {
        let picture = recording.path.replace("-recording.wav", "-plot.png");
        let bytes = std::fs::read(run_dir.join(&picture)).expect("a picture beside the recording");
        assert!(bytes.starts_with(b"\x89PNG\r\n"), "{picture} is a PNG");
    }
    assert_eq!(
        page.matches("<figure class=\"play\"><img").count(),
        recordings.len(),
        "one picture per play"
    );
    assert_eq!(
        page.matches("src=\"data:image/png;base64,iVBORw0KGgo")
            .count(),
        recordings.len(),
        "every picture inlined: the page stands alone"
    );
    // The page as a browser shows it: no console message, no request beyond local files,
    // every case present, every plot drawn.
    let dom = load_in_chromium(&run_dir.join("report.html"));
    for case in &results.cases {
        let id = case.id.replace('&', "&amp;");
        assert!(dom.contains(&id), "{} is on the page", case.id);
    }
    for class in ["timeline", "track", "mos-histogram"] {
        let marker = format!("<svg class=\"{class}\"");
        let plots: Vec<&str> = dom.split(&marker).skip(1).collect();
        assert!(!plots.is_empty(), "no {class} plot on the page");
        for plot in plots {
            let body = &plot[..plot.find("</svg>").expect("closed svg")];
            assert!(
                ["<rect", "<line", "<circle"]
                    .iter()
                    .any(|m| body.contains(m)),
                "an empty {class} plot"
            );
        }
    }
    // Numbers are redacted by default.
    let json = std::fs::read_to_string(run_dir.join("results.json")).unwrap();
    assert!(
        !json.contains("+421900000001"),
        "numbers are redacted in results.json"
    );
    assert!(run_dir.join("report.html").exists());
}

fn message_of(case: &quick_junit::TestCase) -> String {
    match &case.status {
        TestCaseStatus::NonSuccess { message, .. } => {
            message.as_ref().map(|m| m.to_string()).unwrap_or_default()
        }
        _ => String::new(),
    }
}

#[test]
fn a_slow_network_fails_the_delay_expectation_with_exit_1() {
    let out = tempfile::tempdir().unwrap();
    let output = run(farend()
        .args([
            "run",
            "scenarios/01-basic-call.yaml",
            "--virtual-delay-ms",
            "450",
            "--out",
        ])
        .arg(out.path()));
    assert_eq!(
        output.status.code(),
        Some(1),
        "a network verdict gives exit code 1"
    );
    let run_dir = only_run_dir(out.path());
    let junit = run_dir.join("junit.xml");
    assert_junit_valid(&junit);
    let report = read_junit(&junit);
    let case = &report.test_suites[0].test_cases[0];
    match &case.status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            ty,
            message,
            ..
        } => {
            assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("DelayTooHigh"));
            let message = message.as_ref().map(|m| m.as_str()).unwrap_or_default();
            assert!(message.contains("450.0 ms"), "{message}");
        }
        other => panic!("expected a DelayTooHigh failure: {other:?}"),
    }
    // The verdict belongs to the first play; its analysis ran while the second play went on,
    // and both plays are marked failed.
    let results = read_results(&run_dir);
    let outcome = |i: usize| {
        let s = &results.cases[0].steps[i - 1];
        assert_eq!(s.index, i);
        (
            format!("{:?}", s.outcome),
            s.message.clone().unwrap_or_default(),
        )
    };
    let (o5, m5) = outcome(5);
    assert_eq!(o5, "Failed", "{m5}");
    assert!(m5.starts_with("a->b"), "{m5}");
    assert_eq!(outcome(6).0, "Failed");
    assert!(message_of(case).starts_with("a->b"), "{:?}", case.status);
    // Both directions failed: the first decides the type, the message and results.json
    // list both.
    assert!(
        message_of(case).contains("; b->a: delay"),
        "{:?}",
        case.status
    );
    match &results.cases[0].verdict {
        farend_report::Verdict::Failure { kind, failures, .. } => {
            assert_eq!(*kind, farend_report::FailureKind::DelayTooHigh);
            let steps: Vec<usize> = failures.iter().map(|f| f.step).collect();
            assert_eq!(steps, [5, 6], "{failures:?}");
        }
        other => panic!("a failure verdict: {other:?}"),
    }
    // The failing direction's recording is the first attachment line, relative.
    let out = case.system_out.as_deref().unwrap_or_default();
    let first = out
        .lines()
        .find(|l| l.starts_with("[[ATTACHMENT|"))
        .expect("attachment lines");
    assert!(
        first.starts_with("[[ATTACHMENT|cases/")
            && first.ends_with("step05-a-to-b-recording.wav]]"),
        "{first}"
    );
    assert_eq!(
        outcome(7).0,
        "Skipped",
        "no step runs after the failure is known"
    );
    // The recordings of the failed case are kept, and its logcat is attached.
    let kinds: Vec<&str> = results.cases[0]
        .attachments
        .iter()
        .map(|a| a.kind.as_str())
        .collect();
    assert!(
        kinds.contains(&"recording") && kinds.contains(&"logcat"),
        "{kinds:?}"
    );
}
