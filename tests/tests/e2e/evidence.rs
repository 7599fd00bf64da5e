//! What a run writes about the handsets: numbers redacted in every file, each case's command
//! log and logcat holding that case alone (commands with their replies), and a lab whose
//! handset cannot be reached naming it, its address and the error.

use farend_e2e::*;
use std::path::{Path, PathBuf};

/// Dials a number nobody has (the network reports it unassigned), then waits for a ring that
/// cannot come, so the case fails and keeps its logcat.
const LITERAL: &str = "\
name: literal
parties: { a: {} }
steps:
  - dial: { from: a, number: \"+421900000123\" }
  - wait: { party: a, state: idle, within: 10s }
  - wait: { party: a, state: ringing, within: 1s }
";

/// A plain call between the two handsets, failing at the end the same way.
const CALL: &str = "\
name: call
parties: { a: {}, b: {} }
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 10s }
  - answer: { party: b }
  - wait: { party: [a, b], state: offhook, within: 10s }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
  - wait: { party: a, state: ringing, within: 1s }
";

fn scenarios(dir: &Path) -> PathBuf {
    let suite = dir.join("evidence");
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(suite.join("1-literal.yaml"), LITERAL).unwrap();
    std::fs::write(suite.join("2-call.yaml"), CALL).unwrap();
    suite
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The text of the case's attachment named `file`.
fn attachment(run_dir: &Path, case: &farend_report::CaseReport, file: &str) -> String {
    let a = case
        .attachments
        .iter()
        .find(|a| a.path.ends_with(file))
        .unwrap_or_else(|| panic!("{} has {file}: {:?}", case.id, case.attachments));
    std::fs::read_to_string(run_dir.join(&a.path)).unwrap()
}

#[test]
fn numbers_are_redacted_and_logs_hold_their_own_case() {
    let dir = tempfile::tempdir().unwrap();
    let suite = scenarios(dir.path());
    let reports = dir.path().join("out");
    let out = run(farend()
        .arg("run")
        .arg(&suite)
        .args(["--jobs", "1", "--out"])
        .arg(&reports));
    assert_eq!(
        out.status.code(),
        Some(1),
        "both cases fail on their last wait"
    );
    let run_dir = only_run_dir(&reports);

    // No file of the run shows a phone number beyond its last four digits.
    for file in files(&run_dir) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // recordings
        };
        assert!(
            !text.contains("4219000"),
            "{} shows a number in full",
            file.display()
        );
    }
    let results = read_results(&run_dir);
    let [literal, call] = &results.cases[..] else {
        panic!("two cases: {:?}", results.cases);
    };
    assert_eq!(literal.steps[0].description, "dial a -> *********0123");

    // Each command log holds its own case's commands, with their replies.
    let first = attachment(&run_dir, literal, "commands-a.txt");
    let second = attachment(&run_dir, call, "commands-a.txt");
    assert!(first.contains("tel:*********0123"), "{first}");
    // (The number as the log shows it: bare digits also occur in timestamps' nanoseconds.)
    assert!(!second.contains("*0123"), "the first case's dial: {second}");
    assert!(
        second.contains("    > Starting: Intent"),
        "replies: {second}"
    );
    assert!(second.contains("    >   Phone Id=0"), "replies: {second}");
    assert!(second.contains("    > (same reply as before)"), "{second}");
    // So does each logcat.
    let first_log = attachment(&run_dir, literal, "logcat-a.txt");
    let second_log = attachment(&run_dir, call, "logcat-a.txt");
    assert!(first_log.contains("unassigned number"), "{first_log}");
    assert!(!second_log.contains("unassigned number"), "{second_log}");
    assert!(second_log.contains("startOutgoingCall"), "{second_log}");
    // And each case has a telecom snapshot taken after its call, numbers redacted.
    let telecom = attachment(&run_dir, call, "telecom-b.txt");
    assert!(telecom.contains("TC@"), "{telecom}");
    assert!(telecom.contains("DISCONNECTED"), "{telecom}");
}

/// A call that passes.
const PASSING: &str = "\
name: passing
parties: { a: {}, b: {} }
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 10s }
  - answer: { party: b }
  - wait: { party: [a, b], state: offhook, within: 10s }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";

#[test]
fn a_passing_case_keeps_its_logcat_and_telecom_snapshot_too() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("s");
    std::fs::create_dir(&suite).unwrap();
    std::fs::write(suite.join("passing.yaml"), PASSING).unwrap();
    let reports = dir.path().join("out");
    let out = run(farend()
        .arg("run")
        .arg(&suite)
        .args(["--jobs", "1", "--out"])
        .arg(&reports));
    assert_eq!(out.status.code(), Some(0), "the call passes");
    let run_dir = only_run_dir(&reports);
    let results = read_results(&run_dir);
    let case = &results.cases[0];
    for role in ["a", "b"] {
        let log = attachment(&run_dir, case, &format!("logcat-{role}.txt"));
        assert!(log.contains("beginning of"), "{role}: {log}");
        let telecom = attachment(&run_dir, case, &format!("telecom-{role}.txt"));
        assert!(telecom.contains("TC@"), "{role}: {telecom}");
    }
    let caller_log = attachment(&run_dir, case, "logcat-a.txt");
    assert!(caller_log.contains("startOutgoingCall"), "{caller_log}");
}

#[test]
fn an_unreachable_handset_is_named_with_its_address_alias_and_error() {
    let lab = farend_lab::VirtualLab::start(farend_lab::LabConfig::default())
        .expect("virtual lab starts");
    let dir = tempfile::tempdir().unwrap();
    let h = &lab.handsets()[0];
    // A free port: bound, then closed, so connecting is refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let lab_file = format!(
        "handsets:\n  - id: {}\n    connect: \"{}\"\n    number: \"{}\"\n    audio: {{ mic: \"{}\", ear: \"{}\" }}\n  - id: gone\n    connect: \"{dead_addr}\"\n    number: \"+421900000999\"\n    audio: {{ mic: \"{}\", ear: \"{}\" }}\n",
        h.id, h.serial, h.number, h.mic, h.ear, h.mic, h.ear
    );
    std::fs::write(dir.path().join("lab.yaml"), lab_file).unwrap();
    let suite = dir.path().join("s");
    std::fs::create_dir(&suite).unwrap();
    std::fs::write(suite.join("call.yaml"), CALL).unwrap();
    let reports = dir.path().join("out");
    let out = run(farend()
        .arg("run")
        .arg(&suite)
        .arg("--lab")
        .arg(dir.path().join("lab.yaml"))
        .arg("--out")
        .arg(&reports));
    assert_eq!(out.status.code(), Some(3), "a lab fault");
    let results = read_results(&only_run_dir(&reports));
    let farend_report::Verdict::Error {
        message, device, ..
    } = &results.cases[0].verdict
    else {
        panic!("a lab fault: {:?}", results.cases[0].verdict);
    };
    assert_eq!(device.as_deref(), Some("gone"));
    assert!(
        message.contains("the lab has 1 usable")
            && message.contains(&format!(
                "gone (adbd at {})",
                farend_report::serial_alias(&dead_addr.to_string())
            ))
            && message.to_lowercase().contains("refused"),
        "{message}"
    );
    assert!(!message.contains("421900000999"), "{message}");
}
