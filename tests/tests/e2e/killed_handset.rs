//! A virtual handset killed in the middle of a call: that case ends as `<error>` naming the
//! device, the report is still written, and the next case runs on the handsets that are left.

use farend_e2e::*;
use quick_junit::{NonSuccessKind, TestCaseStatus};
use std::process::Stdio;
use std::time::{Duration, Instant};

const LONG_CALL: &str = "\
name: long-call
parties: { a: {}, b: {} }
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 10s }
  - answer: { party: b }
  - wait: { party: [a, b], state: offhook, within: 10s }
  - play: { ref: speech/en-f1, into: a, record: b }
  - play: { ref: speech/en-m1, into: b, record: a }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";

const AFTER: &str = "\
name: after
parties: { a: {}, b: {} }
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 10s }
  - answer: { party: b }
  - wait: { party: [a, b], state: offhook, within: 10s }
  - play: { ref: speech/en-f1, into: a, record: b }
    expect: { audio_present: true }
  - hangup: { party: b }
  - wait: { party: [a, b], state: idle, within: 10s }
";

/// A virtual lab, a lab file for it and a scenario folder with the two scenarios above.
fn setup() -> (farend_lab::VirtualLab, tempfile::TempDir) {
    let lab = farend_lab::VirtualLab::start(farend_lab::LabConfig::default())
        .expect("virtual lab starts");
    let dir = tempfile::tempdir().unwrap();
    let mut lab_file = String::from("handsets:\n");
    for h in lab.handsets() {
        lab_file.push_str(&format!(
            "  - id: {}\n    connect: \"{}\"\n    number: \"{}\"\n    audio: {{ mic: \"{}\", ear: \"{}\" }}\n",
            h.id, h.serial, h.number, h.mic, h.ear
        ));
    }
    std::fs::write(dir.path().join("lab.yaml"), lab_file).unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::write(scenarios.join("1-long-call.yaml"), LONG_CALL).unwrap();
    std::fs::write(scenarios.join("2-after.yaml"), AFTER).unwrap();
    (lab, dir)
}

fn spawn_run(dir: &std::path::Path) -> std::process::Child {
    farend()
        .arg("run")
        .arg(dir.join("scenarios"))
        .arg("--lab")
        .arg(dir.join("lab.yaml"))
        .args(["--jobs", "1", "--out"])
        .arg(dir.join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("farend starts")
}

fn probe(h: &farend_lab::HandsetInfo) -> farend_device::Handset {
    farend_device::Handset::new(
        h.id.clone(),
        farend_device::Connection::Direct { addr: h.adb_addr },
        Default::default(),
    )
}

/// Waits until the handset has been in a call for a moment (audio is flowing by then).
async fn wait_in_call(h: &farend_device::Handset) {
    let t0 = Instant::now();
    while h.call_state().await.ok() != Some(farend_device::CallState::Offhook) {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the call to {} never came up",
            h.name()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_handset_is_an_error_naming_it_and_the_run_goes_on() {
    let (lab, dir) = setup();
    let out_dir = dir.path().join("out");
    let child = spawn_run(dir.path());

    // The first case binds vh-1 (a) and vh-2 (b): kill vh-2 once the call is up and audio flows.
    let victim = &lab.handsets()[1];
    wait_in_call(&probe(victim)).await;
    assert!(
        lab.kill_handset(&victim.id),
        "kill_handset finds {}",
        victim.id
    );

    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    eprintln!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "a lab fault gives exit code 3"
    );

    let run_dir = only_run_dir(&out_dir);
    let junit = run_dir.join("junit.xml");
    assert_junit_valid(&junit);
    let report = read_junit(&junit);
    let cases: Vec<_> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .collect();
    assert_eq!(cases.len(), 2);
    let long = cases
        .iter()
        .find(|c| c.name.as_str().starts_with("long-call"))
        .unwrap();
    match &long.status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Error,
            message,
            ..
        } => {
            let message = message.as_ref().map(|m| m.as_str()).unwrap_or_default();
            assert!(
                message.contains(&victim.id),
                "the error names {}: {message}",
                victim.id
            );
        }
        other => panic!("long-call should be an <error>: {other:?}"),
    }
    let after = cases
        .iter()
        .find(|c| c.name.as_str().starts_with("after"))
        .unwrap();
    assert!(
        matches!(after.status, TestCaseStatus::Success { .. }),
        "the next case runs and passes: {:?}",
        after.status
    );

    let results = read_results(&run_dir);
    let after = results
        .cases
        .iter()
        .find(|c| c.scenario == "after")
        .unwrap();
    assert!(
        after.parties.iter().all(|p| p.handset != victim.id),
        "the dead handset is not used again"
    );
    // The recordings made before the fault are kept.
    let long = results
        .cases
        .iter()
        .find(|c| c.scenario == "long-call")
        .unwrap();
    assert!(long.attachments.iter().any(|a| a.kind == "command-log"));
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_hangs_up_every_call_and_still_writes_the_report() {
    let (lab, dir) = setup();
    let child = spawn_run(dir.path());
    let a = probe(&lab.handsets()[0]);
    let b = probe(&lab.handsets()[1]);
    wait_in_call(&b).await;
    let status = std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "SIGINT sent");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    eprintln!("stderr:\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(3),
        "an interrupted run is not a pass"
    );
    for h in [&a, &b] {
        assert_eq!(
            h.call_state().await.unwrap(),
            farend_device::CallState::Idle,
            "{} was hung up",
            h.name()
        );
    }
    let run_dir = only_run_dir(&dir.path().join("out"));
    assert_junit_valid(&run_dir.join("junit.xml"));
    let results = read_results(&run_dir);
    assert_eq!(
        results.cases.len(),
        2,
        "every case of the plan is in the report"
    );
    match &results.cases[0].verdict {
        farend_report::Verdict::Error { kind, .. } => {
            assert_eq!(*kind, farend_report::ErrorKind::Interrupted)
        }
        other => panic!("the running case ends as interrupted: {other:?}"),
    }
    assert!(
        matches!(
            results.cases[1].verdict,
            farend_report::Verdict::Skipped { .. }
        ),
        "{:?}",
        results.cases[1].verdict
    );
}
