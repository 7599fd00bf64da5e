//! Pre-checks before a case: a handset whose screen is off is woken and its keyguard
//! dismissed; one locked with a PIN is a lab error naming it and the lock, and the case
//! does not start. The handsets are the virtual lab's, driven through a lab file by address.

use farend_e2e::*;
use std::path::Path;

/// Sends one shell command to a virtual handset, as a tester at the bench would.
fn shell(h: &farend_lab::HandsetInfo, argv: &[&str]) -> farend_device::ShellOutput {
    let handset = farend_device::Handset::new(
        h.id.clone(),
        farend_device::Connection::Direct { addr: h.adb_addr },
        Default::default(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(handset.shell(argv))
        .expect("the handset answers")
}

fn screen(h: &farend_lab::HandsetInfo) -> (String, String) {
    (
        shell(h, &["dumpsys", "power"]).stdout,
        shell(h, &["dumpsys", "window"]).stdout,
    )
}

fn run_basic_call(dir: &Path, name: &str) -> (Option<i32>, farend_report::RunReport) {
    let out = dir.join(name);
    let output = run(farend()
        .args(["run", "scenarios/01-basic-call.yaml", "--lab"])
        .arg(dir.join("lab.yaml"))
        .arg("--out")
        .arg(&out));
    (output.status.code(), read_results(&only_run_dir(&out)))
}

#[test]
fn a_sleeping_handset_is_woken_and_a_pin_locked_one_is_a_lab_error_naming_it() {
    let lab = farend_lab::VirtualLab::start(farend_lab::LabConfig {
        handsets: 2,
        ..Default::default()
    })
    .expect("virtual lab starts");
    let [a, b] = lab.handsets() else {
        panic!("two handsets")
    };
    let mut lab_file = String::from("handsets:\n");
    for h in lab.handsets() {
        lab_file.push_str(&format!(
            "  - id: {}\n    connect: \"{}\"\n    number: \"{}\"\n    audio: {{ mic: \"{}\", ear: \"{}\" }}\n",
            h.id, h.adb_addr, h.number, h.mic, h.ear
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab.yaml"), lab_file).unwrap();

    // a: a PIN and the screen off; b: the screen off, no PIN.
    assert_eq!(shell(a, &["locksettings", "set-pin", "1234"]).exit_code, 0);
    shell(a, &["input", "keyevent", "KEYCODE_SLEEP"]);
    shell(b, &["input", "keyevent", "KEYCODE_SLEEP"]);
    let (power, window) = screen(b);
    assert!(power.contains("mWakefulness=Asleep"), "{power}");
    assert!(window.contains("mKeyguardShowing=true"), "{window}");

    let (code, results) = run_basic_call(dir.path(), "locked");
    assert_eq!(code, Some(3), "a lab error, not a network failure");
    match &results.cases[0].verdict {
        farend_report::Verdict::Error {
            message, device, ..
        } => {
            assert_eq!(device.as_deref(), Some(a.id.as_str()));
            assert!(
                message.contains(&format!("({})", a.id)) && message.contains("is locked"),
                "{message}"
            );
        }
        other => panic!("expected a lab error, got {other:?}"),
    }
    assert!(
        results.cases[0]
            .steps
            .iter()
            .all(|s| s.outcome == farend_report::StepOutcome::Skipped),
        "no step ran"
    );
    // b was woken and its keyguard dismissed on the way.
    let (power, window) = screen(b);
    assert!(power.contains("mWakefulness=Awake"), "{power}");
    assert!(window.contains("mKeyguardShowing=false"), "{window}");

    // Without the PIN, the sleeping handset is woken and the call goes through.
    assert_eq!(
        shell(a, &["locksettings", "clear", "--old", "1234"]).exit_code,
        0
    );
    let (code, results) = run_basic_call(dir.path(), "unlocked");
    assert_eq!(code, Some(0), "{:?}", results.cases[0].verdict);
}

/// Runs one call whose party `a` has `require: { REQUIRE }`, on `network` when given, in a
/// lab described by `lab` when given (else the built-in virtual lab); returns the exit code,
/// the results and the run folder.
fn call_requiring(
    dir: &Path,
    require: &str,
    network: Option<&str>,
    lab: Option<&Path>,
) -> (Option<i32>, farend_report::RunReport, std::path::PathBuf) {
    let name = format!(
        "{}-{}",
        network.unwrap_or("default"),
        require
            .to_ascii_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "")
    );
    let network_line = network.map_or(String::new(), |n| format!("network: {n}\n"));
    let scenario = format!(
        "\
name: {name}
{network_line}parties:
  a: {{ require: {{ {require} }} }}
  b: {{}}
steps:
  - dial: {{ from: a, to: b }}
  - wait: {{ party: b, state: ringing, within: 10s }}
  - answer: {{ party: b }}
  - wait: {{ party: [a, b], state: active, within: 10s }}
  - hangup: {{ party: a }}
"
    );
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, scenario).unwrap();
    let out = dir.join(&name);
    let mut command = farend();
    command.arg("run").arg(&file).arg("--out").arg(&out);
    if let Some(lab) = lab {
        command.arg("--lab").arg(lab);
    }
    let output = run(&mut command);
    let run_dir = only_run_dir(&out);
    (output.status.code(), read_results(&run_dir), run_dir)
}

/// The message of the first case's lab error (panics on any other verdict).
fn lab_error(results: &farend_report::RunReport) -> &str {
    match &results.cases[0].verdict {
        farend_report::Verdict::Error { message, .. } => message,
        other => panic!("expected a lab error, got {other:?}"),
    }
}

#[test]
fn a_party_requiring_another_radio_is_a_lab_error_and_a_matching_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    // The virtual handsets are on LTE.
    let (code, results, _) = call_requiring(dir.path(), "radio: NR", None, None);
    assert_eq!(code, Some(3));
    let message = lab_error(&results);
    assert!(
        message.contains("does not meet `require: { radio: NR }` (voice on SIM 1: LTE)"),
        "{message}"
    );
    let (code, results, _) = call_requiring(dir.path(), "radio: [NR, LTE]", None, None);
    assert_eq!(code, Some(0), "{:?}", results.cases[0].verdict);
}

#[test]
fn a_party_requiring_volte_on_a_circuit_switched_network_is_a_lab_error() {
    let dir = tempfile::tempdir().unwrap();
    // A virtual lab whose profiles differ in how voice is carried: LTE without voice over
    // IMS (calls fall back to circuit-switched), and UMTS.
    let lab = dir.path().join("lab.yaml");
    std::fs::write(
        &lab,
        "network:\n  csfb: { codec: amr-nb, volte: false }\n  umts: { codec: amr-nb, radio: UMTS }\n  volte: { codec: amr-wb, radio: LTE }\n",
    )
    .unwrap();
    let on = |network: &str, require: &str| {
        call_requiring(dir.path(), require, Some(network), Some(&lab))
    };
    let (code, results, _) = on("csfb", "volte: true");
    assert_eq!(code, Some(3));
    let message = lab_error(&results);
    assert!(
        message.contains(
            "does not meet `require: { volte: true }` (voice on SIM 1: LTE, no VoLTE: the network offers no voice over PS)"
        ),
        "{message}"
    );
    let (code, results, _) = on("umts", "radio: LTE, volte: true");
    assert_eq!(code, Some(3));
    let message = lab_error(&results);
    assert!(
        message.contains("(voice on SIM 1: UMTS, no VoLTE: no IMS PDN)"),
        "{message}"
    );
    // A circuit-switched call where one is asked for runs, and telecom says it was one.
    let telecom_of = |results: &farend_report::RunReport, run_dir: &Path| {
        let case = &results.cases[0];
        let a = case
            .attachments
            .iter()
            .find(|a| a.path.ends_with("telecom-a.txt"))
            .unwrap_or_else(|| {
                panic!("{} has a telecom snapshot: {:?}", case.id, case.attachments)
            });
        std::fs::read_to_string(run_dir.join(&a.path)).unwrap()
    };
    let (code, results, run_dir) = on("umts", "radio: UMTS, volte: false");
    assert_eq!(code, Some(0), "{:?}", results.cases[0].verdict);
    assert!(telecom_of(&results, &run_dir).contains("callTechnologies: [GSM ]"));
    let (code, results, run_dir) = on("volte", "volte: true");
    assert_eq!(code, Some(0), "{:?}", results.cases[0].verdict);
    assert!(telecom_of(&results, &run_dir).contains("callTechnologies: [IMS ]"));
}
