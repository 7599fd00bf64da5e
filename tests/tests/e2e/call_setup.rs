//! The caller's side of call setup on the virtual lab: `wait` for `alerting` and `active`
//! (the precise call state, not `mCallState`, which says offhook from the moment a caller
//! dials), and a call to an unassigned number failing with the network's cause.

use farend_e2e::*;
use farend_report::{FailureKind, Verdict};
use std::path::Path;

fn run_scenario(dir: &Path, name: &str, yaml: &str) -> (Option<i32>, farend_report::CaseReport) {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, yaml).unwrap();
    let out_dir = dir.join(format!("out-{name}"));
    let out = run(farend().arg("run").arg(&file).arg("--out").arg(&out_dir));
    let report = read_results(&only_run_dir(&out_dir));
    (
        out.status.code(),
        report.cases.into_iter().next().expect("one case"),
    )
}

fn failure(case: &farend_report::CaseReport) -> (FailureKind, String) {
    match &case.verdict {
        Verdict::Failure { kind, message, .. } => (*kind, message.clone()),
        other => panic!("{}: expected a failure, got {other}", case.id),
    }
}

#[test]
fn a_caller_waits_for_alerting_and_active() {
    let dir = tempfile::tempdir().unwrap();
    let (code, case) = run_scenario(
        dir.path(),
        "setup-ok",
        "name: setup-ok\nparties: [a, b]\nsteps:\n\
         \x20 - dial: { from: a, to: b }\n\
         \x20 - wait: { party: a, state: alerting, within: 10s }\n\
         \x20 - answer: { party: b }\n\
         \x20 - wait: { party: [a, b], state: active, within: 10s }\n\
         \x20 - sleep: 1s\n\
         \x20 - hangup: { party: a }\n\
         \x20 - wait: { party: [a, b], state: idle, within: 10s }\n",
    );
    assert_eq!(code, Some(0), "{}", case.verdict);
    let events: Vec<&str> = case.events.iter().map(|e| e.event.as_str()).collect();
    assert!(
        events.iter().any(|e| e.starts_with("alerting reached")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.starts_with("active reached")),
        "{events:?}"
    );
}

#[test]
fn an_unassigned_number_fails_setup_with_the_network_cause() {
    let dir = tempfile::tempdir().unwrap();
    // Waiting for alerting: the call ends while dialing, with cause 1.
    let (code, case) = run_scenario(
        dir.path(),
        "unassigned-alerting",
        "name: unassigned-alerting\nparties: [a]\nsteps:\n\
         \x20 - dial: { from: a, number: \"+421999999999\" }\n\
         \x20 - wait: { party: a, state: alerting, within: 10s }\n",
    );
    assert_eq!(code, Some(1));
    let (kind, message) = failure(&case);
    assert_eq!(kind, FailureKind::CallSetupFailure, "{message}");
    assert!(message.contains("cause 1 (unassigned number)"), "{message}");

    // Waiting only for offhook, as scenarios written for mCallState do: the caller is
    // offhook while dialing, but the call never comes up, and the case does not pass.
    let (code, case) = run_scenario(
        dir.path(),
        "unassigned-offhook",
        "name: unassigned-offhook\nparties: [a]\nsteps:\n\
         \x20 - dial: { from: a, number: \"+421999999999\" }\n\
         \x20 - wait: { party: a, state: offhook, within: 10s }\n\
         \x20 - sleep: 3s\n\
         \x20 - hangup: { party: a }\n",
    );
    assert_eq!(code, Some(1));
    let (kind, message) = failure(&case);
    assert_eq!(kind, FailureKind::CallSetupFailure, "{message}");
    assert!(message.contains("unassigned number"), "{message}");
}
