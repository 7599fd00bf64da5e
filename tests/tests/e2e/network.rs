//! The virtual network's profiles end to end: every measurement checked against the ground
//! truth the network writes (`network-truth.json`), speech quality ordered by what the
//! network does, and every fault reported as the verdict it is and nothing else.

use farend_e2e::*;
use farend_report::{CaseReport, RunReport};
use std::path::{Path, PathBuf};

/// A call that plays `reference` A→B, scored in `band`, on the matrix variable `net`.
fn speech_scenario(nets: &[&str], reference: &str, band: &str) -> String {
    format!(
        "\
name: speech
parties: {{ a: {{}}, b: {{}} }}
matrix:
  net: [{}]
network: ${{net}}
steps:
  - dial: {{ from: a, to: b }}
  - wait: {{ party: b, state: ringing, within: 10s }}
  - answer: {{ party: b }}
  - wait: {{ party: [a, b], state: active, within: 10s }}
  - play: {{ ref: {reference}, into: a, record: b }}
    expect:
      audio_present: true
      mos_lqo: {{ min: 1.0, band: {band} }}
  - hangup: {{ party: a }}
  - wait: {{ party: [a, b], state: idle, within: 10s }}
",
        nets.join(", ")
    )
}

/// Runs `scenario` (and `lab`, when given) with three cases at a time; returns the run
/// folder, its results and the exit code.
fn run_suite(dir: &Path, scenario: &str, lab: Option<&str>) -> (PathBuf, RunReport, Option<i32>) {
    let suite = dir.join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(suite.join("s.yaml"), scenario).unwrap();
    let mut cmd = farend();
    cmd.arg("run").arg(&suite).args(["--jobs", "3", "--out"]);
    cmd.arg(dir.join("out"));
    if let Some(lab) = lab {
        std::fs::write(dir.join("lab.yaml"), lab).unwrap();
        cmd.arg("--lab").arg(dir.join("lab.yaml"));
    }
    let out = run(&mut cmd);
    let run_dir = only_run_dir(&dir.join("out"));
    let results = read_results(&run_dir);
    (run_dir, results, out.status.code())
}

/// The case that ran on profile `net`.
fn case<'r>(results: &'r RunReport, net: &str) -> &'r CaseReport {
    results
        .cases
        .iter()
        .find(|c| c.network.as_deref() == Some(net))
        .unwrap_or_else(|| panic!("no case on {net}: {:?}", results.cases))
}

/// The value of the case's measurement `name` for a->b.
fn measured(case: &CaseReport, name: &str) -> f64 {
    case.measurements
        .iter()
        .find(|m| m.name == name && m.direction.as_deref() == Some("a->b"))
        .unwrap_or_else(|| panic!("{}: no {name}: {:?}", case.id, case.measurements))
        .value
}

/// The case's `network-truth.json`.
fn truth(run_dir: &Path, case: &CaseReport) -> serde_json::Value {
    let a = case
        .attachments
        .iter()
        .find(|a| a.path.ends_with("network-truth.json"))
        .unwrap_or_else(|| panic!("{}: no network-truth.json", case.id));
    serde_json::from_str(&std::fs::read_to_string(run_dir.join(&a.path)).unwrap()).unwrap()
}

/// The truth of the a->b way.
fn a_to_b(truth: &serde_json::Value) -> &serde_json::Value {
    truth["directions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["from"] == "a" && d["to"] == "b")
        .unwrap_or_else(|| panic!("no a->b way: {truth}"))
}

#[test]
fn every_builtin_profile_measures_its_true_delay_and_names_itself() {
    let nets = [
        "clean-g711",
        "amr-nb-12.2",
        "amr-wb-12.65",
        "g722",
        "opus-wb",
        "lte-poor",
    ];
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, _) = run_suite(
        dir.path(),
        &speech_scenario(&nets, "speech/en-m1", "nb"),
        None,
    );
    for net in nets {
        let c = case(&results, net);
        let t = truth(&run_dir, c);
        assert_eq!(t["profile"], net);
        let way = a_to_b(&t);
        let delay = measured(c, "delay_ms");
        // Without a jitter buffer the delay never changes; with one (lte-poor) it steps
        // while the buffer grows, and the measurement must find the delay in force.
        let history = playout_delays(way);
        assert!(
            history.iter().any(|d| (delay - d).abs() <= 2.0),
            "{net}: measured {delay:.2} ms, true {history:?}"
        );
        if history.len() == 1 {
            let mean = way["delay_ms"]["mean"].as_f64().unwrap();
            assert!(
                (delay - mean).abs() <= 2.0,
                "{net}: {delay:.2} vs {mean:.2}"
            );
        }
        assert!(way["frames_sent"].as_u64().unwrap() > 300, "{net}: {way}");
    }
    // The lossy profile lost frames and scored far below the clean ones; its jitter buffer
    // grew from one frame as it met the jitter.
    let lossy = case(&results, "lte-poor");
    let lossy_truth = truth(&run_dir, lossy);
    let playout = &a_to_b(&lossy_truth)["playout_delay_ms"];
    assert!(playout.as_array().unwrap().len() >= 2, "{playout}");
    assert!(
        !a_to_b(&truth(&run_dir, lossy))["frames_lost"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for clean in [
        "clean-g711",
        "amr-nb-12.2",
        "amr-wb-12.65",
        "g722",
        "opus-wb",
    ] {
        assert_eq!(
            a_to_b(&truth(&run_dir, case(&results, clean)))["frames_lost"],
            serde_json::json!([])
        );
        let (good, bad) = (
            measured(case(&results, clean), "mos_lqo"),
            measured(lossy, "mos_lqo"),
        );
        assert!(good > bad + 0.5, "{clean} {good:.2} vs lte-poor {bad:.2}");
    }
}

/// Sound cards at 48 kHz, as most real USB cards run: the recordings keep the card's rate,
/// every verdict holds (the fingerprint, the delay, the score) and fullband Opus runs at its
/// own 48 kHz.
#[test]
fn a_lab_whose_cards_run_at_48_khz_measures_as_one_at_16_khz() {
    let lab = "\
virtual: { sample_rate: 48000 }
network:
  opus-fb: { codec: \"opus:fb:64k\", delay_ms: 80 }
";
    let nets = ["g722", "opus-fb", "amr-nb-12.2"];
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, code) = run_suite(
        dir.path(),
        // en-f1 is the reference recorded at 16 kHz: the others carry nothing above 4 kHz.
        &speech_scenario(&nets, "speech/en-f1", "wb"),
        Some(lab),
    );
    assert_eq!(code, Some(0), "{:?}", results.cases);
    for net in nets {
        let c = case(&results, net);
        assert_eq!(c.verdict, farend_report::Verdict::Pass, "{net}: {c:?}");
        let mean = a_to_b(&truth(&run_dir, c))["delay_ms"]["mean"]
            .as_f64()
            .unwrap();
        let delay = measured(c, "delay_ms");
        assert!(
            (delay - mean).abs() <= 2.0,
            "{net}: {delay:.2} vs {mean:.2}"
        );
        let recording = c
            .attachments
            .iter()
            .find(|a| a.path.ends_with("step05-a-to-b-recording.wav"))
            .unwrap_or_else(|| panic!("{net}: no recording"));
        // A canonical WAV header holds the sample rate at bytes 24..28.
        let header = std::fs::read(run_dir.join(&recording.path)).unwrap();
        let rate = u32::from_le_bytes(header[24..28].try_into().unwrap());
        assert_eq!(rate, 48000, "{}", recording.path);
    }
    // Wideband scoring tells the narrowband codec from the wideband ones.
    let nb = measured(case(&results, "amr-nb-12.2"), "mos_lqo");
    for wb in ["g722", "opus-fb"] {
        let score = measured(case(&results, wb), "mos_lqo");
        assert!(score > nb + 0.5, "{wb} {score:.2} vs AMR-NB {nb:.2}");
    }
}

#[test]
fn mos_falls_as_loss_grows_and_wideband_codecs_score_above_narrowband_ones() {
    let lab = "\
network:
  loss-0: { codec: amr-nb, mode: 12.2 }
  loss-3: { codec: amr-nb, mode: 12.2, loss: { model: random, p: 0.03 } }
  loss-10: { codec: amr-nb, mode: 12.2, loss: { model: random, p: 0.10 } }
  loss-25: { codec: amr-nb, mode: 12.2, loss: { model: random, p: 0.25 } }
  amr-wb-6.60: { codec: amr-wb, mode: 6.60 }
virtual: { handsets: 6 }
";
    // Steps far enough apart that where the lost frames land in the speech (which moves
    // with the call's timing from run to run, by up to 0.3 MOS at one step) cannot reorder
    // them.
    let sweep = ["loss-0", "loss-3", "loss-10", "loss-25"];
    let wide = ["amr-nb-12.2", "amr-wb-12.65", "amr-wb-6.60", "opus-wb"];
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, _) = run_suite(
        &dir.path().join("sweep"),
        &speech_scenario(&sweep, "speech/en-m2", "nb"),
        Some(lab),
    );
    let mut last = (f64::INFINITY, 0usize);
    for net in sweep {
        let c = case(&results, net);
        let mos = measured(c, "mos_lqo");
        let lost = a_to_b(&truth(&run_dir, c))["frames_lost"]
            .as_array()
            .unwrap()
            .len();
        println!("{net}: MOS-LQO {mos:.2}, {lost} frames lost");
        assert!(
            mos < last.0 && lost >= last.1,
            "{net}: MOS {mos:.2} with {lost} frames lost after {last:?}"
        );
        last = (mos, lost);
    }
    let (_, results, _) = run_suite(
        &dir.path().join("wide"),
        // en-f1 is the reference recorded at 16 kHz: the others carry nothing above 4 kHz.
        &speech_scenario(&wide, "speech/en-f1", "wb"),
        Some(lab),
    );
    let wb = |net: &str| measured(case(&results, net), "mos_lqo");
    assert!(
        wb("amr-wb-12.65") > wb("amr-nb-12.2"),
        "AMR-WB {:.2} vs AMR-NB {:.2}",
        wb("amr-wb-12.65"),
        wb("amr-nb-12.2")
    );
    assert!(
        wb("opus-wb") > wb("amr-wb-6.60"),
        "Opus WB {:.2} vs AMR-WB 6.60 {:.2}",
        wb("opus-wb"),
        wb("amr-wb-6.60")
    );
}

#[test]
fn each_fault_is_reported_as_its_verdict_and_nothing_else() {
    let lab = "\
network:
  muted: { codec: g711a, faults: [ { kind: mute, from: 1500ms, to: 2500ms, way: uplink } ] }
";
    let scenario = "\
name: faults
parties: { a: {}, b: {} }
matrix:
  net: [dropped-call, one-way-audio, muted, clean-g711]
network: ${net}
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 10s }
  - answer: { party: b }
  - wait: { party: [a, b], state: active, within: 10s }
  - play: { ref: speech/en-f1, into: a, record: b }
    expect:
      one_way_audio: false
      gaps: { max_ms: 300 }
  - play: { ref: speech/en-m1, into: b, record: a }
    expect:
      one_way_audio: false
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, code) = run_suite(dir.path(), scenario, Some(lab));
    assert_eq!(code, Some(1), "three of four cases fail");
    let failure = |net: &str| {
        let c = case(&results, net);
        match &c.verdict {
            farend_report::Verdict::Failure { failures, .. } => failures
                .iter()
                .map(|f| f.kind.to_string())
                .collect::<Vec<_>>(),
            other => panic!("{net}: {other:?}"),
        }
    };
    assert_eq!(failure("dropped-call"), ["DroppedCall"]);
    let drop_truth = truth(&run_dir, case(&results, "dropped-call"));
    assert_eq!(a_to_b(&drop_truth)["faults"][0]["kind"], "drop");
    assert_eq!(a_to_b(&drop_truth)["faults"][0]["at_ms"], 6000);
    // The caller's monitor saw the call end with the network's cause, and the campaign
    // counts it as the one cut-off call.
    let ended: Vec<&str> = case(&results, "dropped-call")
        .events
        .iter()
        .filter(|e| e.party == "a" && e.event.starts_with("call ") && e.event.contains(", cause "))
        .map(|e| e.event.as_str())
        .collect();
    assert_eq!(ended, ["call idle, cause 41 (temporary failure)"]);
    let kpis = farend_report::Kpis::of(&results.cases);
    assert_eq!(kpis.cut_off_call_ratio.count, 1);
    assert!(
        failure("one-way-audio").iter().all(|k| k == "OneWayAudio"),
        "{:?}",
        failure("one-way-audio")
    );
    assert_eq!(failure("muted"), ["AudioGaps"]);
    assert!(
        matches!(
            case(&results, "clean-g711").verdict,
            farend_report::Verdict::Pass
        ),
        "{:?}",
        case(&results, "clean-g711").verdict
    );
}

/// Two calls at once, the first on a profile that crosses its caller → callee way with
/// another call's: the first callee hears the second call's talker, and the run says so as
/// the one verdict it is (WrongAudio, naming what arrived); the other call is untouched.
#[test]
fn audio_crossed_with_another_call_is_reported_as_the_audio_that_arrived() {
    let call = |name: &str, net: &str, lead: &str, plays: &[&str]| {
        let mut text = format!(
            "\
name: {name}
parties: {{ a: {{}}, b: {{}} }}
network: {net}
steps:
  - dial: {{ from: a, to: b }}
  - wait: {{ party: b, state: ringing, within: 10s }}
  - answer: {{ party: b }}
  - wait: {{ party: [a, b], state: active, within: 10s }}
  - sleep: {lead}
"
        );
        for reference in plays {
            text.push_str(&format!(
                "  - play: {{ ref: {reference}, into: a, record: b }}\n    expect: {{ audio_present: true, fingerprint: {{ matches: {reference} }} }}\n"
            ));
        }
        text.push_str("  - hangup: { party: a }\n");
        text
    };
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    // The crossed call plays en-f1 (10.8 s, recorded for 11.8 s from about 3.5 s after the
    // answer) while the other call's caller says en-m1 (10 s, from about 4.5 s): the whole
    // of en-m1 arrives inside the crossed recording.
    std::fs::write(
        suite.join("crossed.yaml"),
        call("crossed", "crossed", "3s", &["speech/en-f1"]),
    )
    .unwrap();
    std::fs::write(
        suite.join("other.yaml"),
        call("other", "clean-g711", "4s", &["speech/en-m1"]),
    )
    .unwrap();
    let lab = dir.path().join("lab.yaml");
    std::fs::write(
        &lab,
        "network:\n  crossed: { codec: g711a, faults: [ { kind: crossed, after: 0s, way: uplink } ] }\n",
    )
    .unwrap();
    let out = run(farend()
        .arg("run")
        .arg(&suite)
        .args(["--jobs", "2", "--lab"])
        .arg(&lab)
        .arg("--out")
        .arg(dir.path().join("out")));
    let run_dir = only_run_dir(&dir.path().join("out"));
    let results = read_results(&run_dir);
    let verdicts: Vec<(&str, &farend_report::Verdict)> = results
        .cases
        .iter()
        .map(|c| (c.id.as_str(), &c.verdict))
        .collect();
    assert_eq!(out.status.code(), Some(1), "{verdicts:?}");
    let crossed = case(&results, "crossed");
    match &crossed.verdict {
        farend_report::Verdict::Failure { failures, .. } => {
            let kinds: Vec<String> = failures.iter().map(|f| f.kind.to_string()).collect();
            assert_eq!(kinds, ["WrongAudio"], "{failures:?}");
            assert!(
                failures[0].message.contains("speech/en-m1"),
                "{}",
                failures[0].message
            );
        }
        other => panic!("crossed: {other:?}"),
    }
    let t = truth(&run_dir, crossed);
    assert_eq!(a_to_b(&t)["faults"][0]["kind"], "crossed");
    assert_eq!(
        case(&results, "clean-g711").verdict,
        farend_report::Verdict::Pass
    );
}

#[test]
fn bad_profiles_and_unknown_names_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        speech_scenario(&["clean-g711"], "speech/en-m1", "nb").replace("${net}", "no-such-net");
    let scenario = scenario.replace("matrix:\n  net: [clean-g711]\n", "");
    let (suite, lab) = (dir.path().join("s"), dir.path().join("lab.yaml"));
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(suite.join("s.yaml"), &scenario).unwrap();
    // A profile no one defined: exit 2, naming the file, line and column and the known names.
    let out = run(farend()
        .arg("run")
        .arg(&suite)
        .arg("--out")
        .arg(dir.path().join("o")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("s.yaml:3:10") && err.contains("no-such-net"),
        "{err}"
    );
    assert!(err.contains("lte-poor"), "lists the known profiles: {err}");
    // A codec farend does not have: the lab file's line and column.
    std::fs::write(&lab, "network:\n  odd: { codec: evs, mode: 13.2 }\n").unwrap();
    let out = run(farend()
        .arg("run")
        .arg(&suite)
        .arg("--lab")
        .arg(&lab)
        .args(["--network", "odd", "--out"])
        .arg(dir.path().join("o")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("lab.yaml:2:17") && err.contains("evs"),
        "{err}"
    );
    // A clock offset beyond what sound cards have is refused with its place.
    std::fs::write(&lab, "network:\n  j: { codec: g711a, clock_ppm: 3000 }\n").unwrap();
    let out = run(farend()
        .arg("run")
        .arg(&suite)
        .arg("--lab")
        .arg(&lab)
        .arg("--out")
        .arg(dir.path().join("o")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("lab.yaml:2:33") && err.contains("clock_ppm"),
        "{err}"
    );
    // A lab of real handsets cannot take a profile.
    std::fs::write(
        &lab,
        "handsets:\n  - id: p1\n    serial: ABC\n    number: \"+421900000001\"\n    audio: { mic: \"alsa:hw0\", ear: \"alsa:hw1\" }\n",
    )
    .unwrap();
    let out = run(farend()
        .arg("run")
        .arg(&suite)
        .arg("--lab")
        .arg(&lab)
        .args(["--network", "lte-poor", "--out"])
        .arg(dir.path().join("o")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("real handsets"), "{err}");
}

#[test]
fn setup_faults_fail_the_setup_with_the_networks_cause() {
    let lab = "\
network:
  busy: { codec: g711a, faults: [ { kind: busy } ] }
  rejected: { codec: g711a, faults: [ { kind: reject, cause: 34 } ] }
  no-answer: { codec: g711a, faults: [ { kind: no_answer, after: 2s } ] }
  slow: { codec: g711a, faults: [ { kind: slow_setup, after: 5s } ] }
virtual: { handsets: 6 }
";
    let scenario = "\
name: setup
parties: { a: {}, b: {} }
matrix:
  net: [busy, rejected, no-answer, slow, clean-g711]
network: ${net}
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 3s }
  - sleep: 3s
  - answer: { party: b }
  - wait: { party: [a, b], state: active, within: 5s }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, code) = run_suite(dir.path(), scenario, Some(lab));
    assert_eq!(code, Some(1));
    let verdict = |net: &str| match &case(&results, net).verdict {
        farend_report::Verdict::Failure { kind, message, .. } => {
            (kind.to_string(), message.clone())
        }
        other => panic!("{net}: {other:?}"),
    };
    for (net, kind, cause) in [
        ("busy", "CallSetupFailure", "cause 17"),
        ("rejected", "CallSetupFailure", "cause 34"),
        ("no-answer", "CallSetupFailure", "cause 19"),
    ] {
        let (k, message) = verdict(net);
        assert_eq!(k, kind, "{net}: {message}");
        assert!(message.contains(cause), "{net}: {message}");
    }
    assert_eq!(verdict("slow").0, "NoRinging");
    assert!(matches!(
        case(&results, "clean-g711").verdict,
        farend_report::Verdict::Pass
    ));
    let slow = truth(&run_dir, case(&results, "slow"));
    assert_eq!(slow["faults"][0]["kind"], "slow_setup");
    assert_eq!(slow["faults"][0]["at_ms"], 5000);
    let rejected = truth(&run_dir, case(&results, "rejected"));
    assert_eq!(rejected["faults"][0]["kind"], "reject");
    assert_eq!(rejected["directions"], serde_json::json!([]));
}

#[test]
fn a_handset_out_of_service_is_a_lab_error_naming_it_not_a_network_failure() {
    let lab = "\
network:
  no-service: { codec: g711a, faults: [ { kind: out_of_service } ] }
";
    let scenario = "\
name: oos
parties: { a: {}, b: {} }
matrix:
  net: [no-service, clean-g711]
network: ${net}
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 5s }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 5s }
";
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, _) = run_suite(dir.path(), scenario, Some(lab));
    let c = case(&results, "no-service");
    match &c.verdict {
        farend_report::Verdict::Error {
            kind,
            message,
            device,
        } => {
            assert_eq!(*kind, farend_report::ErrorKind::LabSetup);
            assert!(
                message.contains("pre-check") && message.contains("out of service"),
                "{message}"
            );
            assert!(
                device.as_deref().is_some_and(|d| message.contains(d)),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        c.steps
            .iter()
            .all(|s| s.outcome == farend_report::StepOutcome::Skipped)
    );
    // The handsets are in service again on the next profile.
    assert!(matches!(
        case(&results, "clean-g711").verdict,
        farend_report::Verdict::Pass
    ));
    let junit = std::fs::read_to_string(run_dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<error") && junit.contains("type=\"LabSetup\""));
}

#[test]
fn airplane_mode_takes_a_handset_off_the_network_and_back() {
    // With `radio: false` b's radio comes back and the second call rings; with `true`
    // airplane mode stays on and the ring cannot come.
    let scenario = "\
name: airplane
parties: { a: {}, b: {} }
matrix:
  radio: [false, true]
steps:
  - airplane: { party: b, on: true }
  - dial: { from: a, to: b }
  - wait: { party: a, state: idle, within: 5s }
    name: the network cannot reach b
  - airplane: { party: b, on: \"${radio}\" }
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 5s }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 5s }
";
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, _) = run_suite(dir.path(), scenario, None);
    let back = results
        .cases
        .iter()
        .find(|c| c.matrix.iter().any(|(k, v)| k == "radio" && v == "false"))
        .expect("the case that turns the radio back on");
    assert!(
        matches!(back.verdict, farend_report::Verdict::Pass),
        "{:?}",
        back.verdict
    );
    let stuck = results
        .cases
        .iter()
        .find(|c| c.matrix.iter().any(|(k, v)| k == "radio" && v == "true"))
        .expect("the case that leaves airplane mode on");
    match &stuck.verdict {
        farend_report::Verdict::Failure { kind, message, .. } => {
            assert_eq!(kind.to_string(), "CallSetupFailure", "{message}");
            assert!(message.contains("cause 20"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let log = back
        .attachments
        .iter()
        .find(|a| a.path.ends_with("logcat-b.txt"))
        .map(|a| std::fs::read_to_string(run_dir.join(&a.path)).unwrap())
        .expect("b's logcat");
    assert!(
        log.contains("airplane mode on") && log.contains("airplane mode off"),
        "{log}"
    );
}

#[test]
fn clock_drift_between_the_cards_is_true_and_measured_both_ways() {
    let lab = "\
network:
  drifty: { codec: amr-wb, mode: 12.65, clock_ppm: 150 }
  steady: { codec: amr-wb, mode: 12.65 }
";
    let scenario = "\
name: drift
parties: { a: {}, b: {} }
matrix:
  net: [drifty, steady]
network: ${net}
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 10s }
  - answer: { party: b }
  - wait: { party: [a, b], state: active, within: 10s }
  - play: { ref: speech/en-m1, into: a, record: b }
    expect: { clock_drift_ppm: { min: -50, max: 50 } }
  - play: { ref: speech/en-f2, into: b, record: a }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, code) = run_suite(dir.path(), scenario, Some(lab));
    assert_eq!(code, Some(1), "the drifting case fails its drift bound");
    match &case(&results, "drifty").verdict {
        farend_report::Verdict::Failure { failures, .. } => {
            let kinds: Vec<String> = failures.iter().map(|f| f.kind.to_string()).collect();
            assert_eq!(kinds, ["ClockDrift"], "{failures:?}");
        }
        other => panic!("drifty: {other:?}"),
    }
    assert!(
        matches!(
            case(&results, "steady").verdict,
            farend_report::Verdict::Pass
        ),
        "{:?}",
        case(&results, "steady").verdict
    );
    let drift = |case: &CaseReport, direction: &str| -> f64 {
        case.measurements
            .iter()
            .find(|m| m.name == "clock_drift_ppm" && m.direction.as_deref() == Some(direction))
            .unwrap_or_else(|| panic!("{}: no drift {direction}: {:?}", case.id, case.measurements))
            .value
    };
    let drifty = case(&results, "drifty");
    let t = truth(&run_dir, drifty);
    for (from, to, sign) in [("a", "b", 1.0), ("b", "a", -1.0)] {
        let way = t["directions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["from"] == from && d["to"] == to)
            .unwrap();
        // The callee's card is the slow one: the delay to it grows, the delay back shrinks.
        let ppm = way["clock_drift"]["ppm"].as_f64().unwrap();
        assert!((ppm - sign * 150.0).abs() < 1e-6, "{way}");
        let (start, end) = (
            way["clock_drift"]["start_ms"].as_f64().unwrap(),
            way["clock_drift"]["end_ms"].as_f64().unwrap(),
        );
        assert!(sign * (end - start) > 2.0, "{way}");
        let span =
            way["delay_ms"]["max"].as_f64().unwrap() - way["delay_ms"]["min"].as_f64().unwrap();
        assert!((span - (end - start).abs()).abs() < 1e-6, "{way}");
        let measured = drift(drifty, &format!("{from}->{to}"));
        assert!(
            (measured - ppm).abs() <= 20.0,
            "{from}->{to}: measured {measured:.1} ppm, true {ppm:.1}"
        );
    }
    let steady = case(&results, "steady");
    assert!(a_to_b(&truth(&run_dir, steady))["clock_drift"].is_null());
    for direction in ["a->b", "b->a"] {
        let measured = drift(steady, direction);
        assert!(
            measured.abs() <= 10.0,
            "{direction}: {measured:.1} ppm on one clock"
        );
    }
}

#[test]
fn a_handset_that_stops_answering_adb_is_a_lab_error_naming_it_and_the_run_goes_on() {
    let lab = "\
network:
  hang: { codec: amr-nb, mode: 12.2, faults: [ { kind: adb_unresponsive, after: 2s } ] }
";
    let scenario = "\
name: hang
parties: { a: {}, b: {} }
matrix:
  net: [hang, clean-g711]
network: ${net}
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 10s }
  - answer: { party: b }
  - wait: { party: [a, b], state: active, within: 10s }
  - play: { ref: speech/en-m1, into: a, record: b }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, results, code) = run_suite(dir.path(), scenario, Some(lab));
    assert_eq!(code, Some(3), "a lab error is exit 3");
    let c = case(&results, "hang");
    let callee = c
        .parties
        .iter()
        .find(|p| p.role == "b")
        .map(|p| p.handset.clone())
        .unwrap();
    match &c.verdict {
        farend_report::Verdict::Error {
            kind,
            message,
            device,
        } => {
            assert_eq!(*kind, farend_report::ErrorKind::DeviceOffline, "{message}");
            assert_eq!(device.as_deref(), Some(callee.as_str()), "{message}");
            assert!(
                message.contains(&format!("handset {callee} has not answered `"))
                    && message.contains("step 5"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Nothing is lost: the recording made before the hang is kept, the timed-out commands
    // are in the handset's command log, and the truth names the fault.
    let folder = run_dir.join(
        c.attachments
            .iter()
            .find(|a| a.path.ends_with("network-truth.json"))
            .map(|a| Path::new(&a.path).parent().unwrap().to_path_buf())
            .unwrap(),
    );
    assert!(folder.join("step05-a-to-b-recording.wav").is_file());
    let log = std::fs::read_to_string(folder.join("commands-b.txt")).unwrap();
    assert!(log.contains("timed out after 10s"), "{log}");
    let t = truth(&run_dir, c);
    assert!(
        a_to_b(&t)["faults"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "adb_unresponsive" && f["at_ms"] == 2000),
        "{t}"
    );
    // The other case ran and passed on its own handsets.
    assert!(matches!(
        case(&results, "clean-g711").verdict,
        farend_report::Verdict::Pass
    ));
}
