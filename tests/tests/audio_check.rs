//! `farend audio check` end to end: the real binary against a private PulseAudio daemon's
//! null sinks (played into a sink, recorded from its monitor), a missing device, no
//! server at all, and the virtual lab's sound cards.

#[path = "../../crates/farend-audio/tests/support/pulse_daemon.rs"]
mod pulse_daemon;

use farend_e2e::*;
use pulse_daemon::PulseDaemon;
use std::process::Output;

fn check(daemon: Option<&PulseDaemon>, args: &[&str]) -> Output {
    let mut cmd = farend();
    cmd.args(["audio", "check"]).args(args);
    if let Some(d) = daemon {
        cmd.envs(d.client_env());
    }
    run(&mut cmd)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Held by the tests that stream audio in real time, so that two of them (each with its own
/// sound server) do not compete for a 2-core machine's CPUs while the rest run beside them.
static REAL_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The real-time lock; a test that failed while holding it does not stop the others.
fn real_time() -> std::sync::MutexGuard<'static, ()> {
    REAL_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `farend` again (three times at most) while it fails with an xrun. A user-space sound
/// server on a loaded 2-core machine can be late to its own capture: farend then rightly
/// refuses the recording as an xrun. That is the machine, not the path under test; any other
/// failure counts at once.
fn again_after_xrun(mut farend_run: impl FnMut() -> Output) -> Output {
    let mut out = farend_run();
    for _ in 0..3 {
        if out.status.code() == Some(0) || !String::from_utf8_lossy(&out.stderr).contains("xrun") {
            break;
        }
        out = farend_run();
    }
    out
}

#[test]
fn audio_arrives_through_a_null_sink_loopback() {
    let _real_time = real_time();
    let daemon = PulseDaemon::start();
    let args = [
        "--mic",
        "pulseaudio:lab_a_mic",
        "--ear",
        "pulseaudio:lab_a_mic.monitor",
        "--seconds",
        "3",
        "--json",
    ];
    let out = again_after_xrun(|| check(Some(&daemon), &args));
    assert_eq!(out.status.code(), Some(0), "audio check passes");
    let v = json(&out);
    assert_eq!(v["audio_arrived"], true);
    assert_eq!(v["rate"], 16000);
    assert_eq!(v["late_samples"], 0);
    let delay = v["delay_ms"].as_f64().expect("a delay");
    // A monitor hears its sink as rendered: zero path delay, give or take the timestamps.
    assert!((-2.0..=300.0).contains(&delay), "delay {delay} ms");
    let level = v["level_dbov"].as_f64().expect("a level");
    let reference = v["reference_level_dbov"]
        .as_f64()
        .expect("a reference level");
    assert!(
        (level - reference).abs() < 2.0,
        "level {level} dBov vs reference {reference} dBov"
    );
}

#[test]
fn a_missing_device_is_a_lab_fault_naming_it() {
    let daemon = PulseDaemon::start();
    let out = check(
        Some(&daemon),
        &[
            "--mic",
            "pulseaudio:lab_a_mic",
            "--ear",
            "pulseaudio:no_such_source",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pulseaudio:no_such_source")
            && err.contains("no PulseAudio source named 'no_such_source'")
            && err.contains("lab_a_mic.monitor, lab_b_ear.monitor"),
        "{err}"
    );
}

#[test]
fn no_pulseaudio_server_is_a_lab_fault() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(farend()
        .args([
            "audio",
            "check",
            "--mic",
            "pulseaudio:lab_a_mic",
            "--ear",
            "pulseaudio:lab_a_mic.monitor",
        ])
        .env(
            "PULSE_SERVER",
            format!("unix:{}", dir.path().join("nothing").display()),
        )
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("HOME", dir.path()));
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no PulseAudio server reachable"), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["--mic", "speaker", "--ear", "pulseaudio:x"][..],
        &[
            "--mic",
            "pulseaudio:x",
            "--ear",
            "pulseaudio:y",
            "--seconds",
            "0",
        ],
        &[
            "--mic",
            "pulseaudio:x",
            "--ear",
            "pulseaudio:y",
            "--ref",
            "speech/nope",
        ],
        &["--mic", "pulseaudio:x"],
    ] {
        let out = check(None, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_virtual_card_paired_with_a_real_one_is_bad_input() {
    for (mic, ear) in [
        ("virtual:127.0.0.1:9", "pulseaudio:lab_a_ear.monitor"),
        ("pulseaudio:lab_a_mic", "virtual:127.0.0.1:9"),
    ] {
        let out = check(None, &["--mic", mic, "--ear", ear]);
        assert_eq!(out.status.code(), Some(2), "{mic} + {ear}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(mic) && err.contains(ear) && err.contains("cannot be paired"),
            "{err}"
        );
    }
}

#[test]
fn virtual_cards_without_a_call_hear_nothing() {
    let lab = farend_lab::VirtualLab::start(farend_lab::LabConfig::default())
        .expect("virtual lab starts");
    let (a, b) = (&lab.handsets()[0], &lab.handsets()[1]);
    let out = check(
        None,
        &["--mic", &a.mic, "--ear", &b.ear, "--seconds", "2", "--json"],
    );
    // No call joins the two handsets, so nothing reaches B's earpiece: exit 1, not a fault.
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["audio_arrived"], false);
    assert_eq!(v["mic"], a.mic.as_str());
    assert!(v["delay_ms"].is_null());
}

#[test]
fn audio_devices_lists_the_sinks_and_sources_a_lab_file_can_name() {
    let daemon = PulseDaemon::start();
    let out = run(farend()
        .args(["audio", "devices", "--json"])
        .envs(daemon.client_env()));
    assert_eq!(out.status.code(), Some(0));
    let hosts = json(&out);
    let pulse = hosts
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == "pulseaudio")
        .expect("a pulseaudio entry");
    assert!(pulse["error"].is_null(), "{pulse}");
    let device = |endpoint: &str| {
        pulse["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["endpoint"] == endpoint)
            .unwrap_or_else(|| panic!("{endpoint} listed: {pulse}"))
            .clone()
    };
    // A null sink plays (a mic feed); its monitor records (an earpiece capture).
    let sink = device("pulseaudio:lab_a_mic");
    let rates = sink["playback"]["rates"]
        .as_array()
        .expect("playback rates");
    assert!(rates.contains(&16000.into()), "{sink}");
    assert!(
        sink["playback"]["channels"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    let monitor = device("pulseaudio:lab_a_mic.monitor");
    assert!(
        monitor["capture"]["rates"]
            .as_array()
            .is_some_and(|r| r.contains(&16000.into())),
        "{monitor}"
    );
    assert!(
        monitor["playback"].is_null(),
        "a monitor plays nothing: {monitor}"
    );

    // Without a server, PulseAudio is named as unavailable with where clients look.
    let out = run(farend()
        .args(["audio", "devices"])
        .env("PULSE_SERVER", "unix:/nonexistent/native")
        .env("XDG_RUNTIME_DIR", "/nonexistent"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("pulseaudio:\n  not available: no PulseAudio server reachable"),
        "{text}"
    );
}

#[test]
fn calibrate_measures_the_loop_and_writes_the_latencies_into_a_copy_of_the_lab_file() {
    let _real_time = real_time();
    let daemon = PulseDaemon::start();
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("bench.yaml");
    let text = "\
# bench lab
handsets:
  - id: left
    serial: S1
    number: \"+421900000001\"
    audio: { mic: \"pulseaudio:lab_a_mic\", ear: \"pulseaudio:lab_a_mic.monitor\" }   # loop cable
";
    std::fs::write(&lab, text).unwrap();
    let out = again_after_xrun(|| {
        run(farend()
            .args([
                "calibrate",
                "--handset",
                "left",
                "--seconds",
                "3",
                "--json",
                "--lab",
            ])
            .arg(&lab)
            .envs(daemon.client_env()))
    });
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let loop_ms = v["loop_delay_ms"].as_f64().expect("a loop delay");
    // A monitor hears its sink as rendered: next to no latency.
    assert!((0.0..=300.0).contains(&loop_ms), "loop {loop_ms} ms");
    let half = v["mic_delay_ms"].as_f64().unwrap();
    assert!((half - loop_ms / 2.0).abs() < 0.01, "{v}");
    assert!(
        v["loop_gain_db"].as_f64().is_some_and(|g| g.abs() < 2.0),
        "{v}"
    );
    // The original is untouched; the copy keeps its comments and reads back.
    assert_eq!(std::fs::read_to_string(&lab).unwrap(), text);
    let copy = dir.path().join("bench.calibrated.yaml");
    assert_eq!(v["written"], copy.display().to_string());
    let written = std::fs::read_to_string(&copy).unwrap();
    assert!(
        written.starts_with("# bench lab\n") && written.contains("# loop cable"),
        "{written}"
    );
    assert!(
        written.contains(&format!("mic_delay_ms: {half}, ear_delay_ms: {half} }}")),
        "{written}"
    );
    let valid = run(farend().args(["validate"]).arg(&copy));
    assert_eq!(
        valid.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&valid.stderr)
    );

    // An unknown handset is bad input naming the ones there are.
    let out = run(farend()
        .args(["calibrate", "--handset", "right", "--lab"])
        .arg(&lab)
        .envs(daemon.client_env()));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no handset `right` (the lab file has: left)")
    );
}
