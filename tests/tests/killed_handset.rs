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

#[tokio::test(flavor = "multi_thread")]
async fn killed_handset_is_an_error_naming_it_and_the_run_goes_on() {
    let lab = farend_lab::VirtualLab::start(farend_lab::LabConfig::default()).expect("virtual lab starts");
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
    let out_dir = dir.path().join("out");

    let mut child = farend()
        .arg("run")
        .arg(&scenarios)
        .arg("--lab")
        .arg(dir.path().join("lab.yaml"))
        .args(["--jobs", "1", "--out"])
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("farend starts");

    // The first case binds vh-1 (a) and vh-2 (b): kill vh-2 once the call is up and audio flows.
    let victim = &lab.handsets()[1];
    let probe = farend_device::Handset::new("probe", farend_device::Connection::Direct { addr: victim.adb_addr }, Default::default());
    let t0 = Instant::now();
    loop {
        if let Ok(farend_device::CallState::Offhook) = probe.call_state().await
            && probe.call_state().await.is_ok_and(|s| s == farend_device::CallState::Offhook)
        {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "the call to vh-2 never came up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(lab.kill_handset(&victim.id), "kill_handset finds {}", victim.id);

    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    eprintln!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(3), "a lab fault gives exit code 3");

    let run_dir = only_run_dir(&out_dir);
    let junit = run_dir.join("junit.xml");
    assert_junit_valid(&junit);
    let report = read_junit(&junit);
    let cases: Vec<_> = report.test_suites.iter().flat_map(|s| &s.test_cases).collect();
    assert_eq!(cases.len(), 2);
    let long = cases.iter().find(|c| c.name.as_str().starts_with("long-call")).unwrap();
    match &long.status {
        TestCaseStatus::NonSuccess { kind: NonSuccessKind::Error, message, .. } => {
            let message = message.as_ref().map(|m| m.as_str()).unwrap_or_default();
            assert!(message.contains(&victim.id), "the error names {}: {message}", victim.id);
        }
        other => panic!("long-call should be an <error>: {other:?}"),
    }
    let after = cases.iter().find(|c| c.name.as_str().starts_with("after")).unwrap();
    assert!(matches!(after.status, TestCaseStatus::Success { .. }), "the next case runs and passes: {:?}", after.status);

    let results = read_results(&run_dir);
    let after = results.cases.iter().find(|c| c.scenario == "after").unwrap();
    assert!(after.parties.iter().all(|p| p.handset != victim.id), "the dead handset is not used again");
    // The recordings made before the fault are kept.
    let long = results.cases.iter().find(|c| c.scenario == "long-call").unwrap();
    assert!(long.attachments.iter().any(|a| a.kind == "command-log"));
}
