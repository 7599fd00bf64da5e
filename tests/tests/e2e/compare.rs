//! `farend compare` on real runs of the virtual lab: two runs of the same network are within
//! the thresholds (exit 0), a run over a slower network is past a delay threshold and a run
//! over a lossy network past the MOS-LQO threshold (exit 1), unreadable input is exit 2;
//! compare.html is written either way.

use farend_e2e::*;
use std::path::{Path, PathBuf};

const SCENARIO: &str = "\
name: compare-speech
parties: { a: {}, b: {} }
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 20s }
  - answer: { party: b }
  - wait: { party: [a, b], state: offhook, within: 10s }
  - play: { ref: speech/en-m2, into: a, record: b, margin: 500ms }
    expect: { audio_present: true }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";

/// Runs the scenario on the virtual lab with the given one-way delay (on the default profile)
/// or on a network profile; returns the run folder.
fn run_with_delay(dir: &Path, name: &str, delay_ms: u32, network: Option<&str>) -> PathBuf {
    let out = dir.join(name);
    let mut cmd = farend();
    cmd.arg("run")
        .arg(dir.join("compare-speech.yaml"))
        .arg("--out")
        .arg(&out)
        .args(["--virtual-delay-ms", &delay_ms.to_string()]);
    if let Some(network) = network {
        cmd.args(["--network", network]);
    }
    let output = run(&mut cmd);
    assert_eq!(
        output.status.code(),
        Some(0),
        "run {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    only_run_dir(&out)
}

#[test]
fn compare_passes_a_like_run_and_fails_a_slower_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compare-speech.yaml"), SCENARIO).unwrap();
    let root = dir.path();
    let runs: Vec<PathBuf> = std::thread::scope(|s| {
        let handles: Vec<_> = [
            ("base", 60, None),
            ("again", 60, None),
            ("slow", 260, None),
            ("lossy", 60, Some("lte-poor")),
        ]
        .into_iter()
        .map(|(name, delay, net)| s.spawn(move || run_with_delay(root, name, delay, net)))
        .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let compare = |new: &Path, html: &str| {
        run(farend()
            .arg("compare")
            .arg(&runs[0])
            .arg(new)
            .args(["--max-delay-increase-ms", "50", "--json", "--html"])
            .arg(dir.path().join(html)))
    };

    let same = compare(&runs[1], "same.html");
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&same.stdout),
        String::from_utf8_lossy(&same.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&same.stdout).expect("JSON");
    assert_eq!(v["breaches"].as_array().map(Vec::len), Some(0), "{v}");
    let mos = &v["kpis"]["mos_lqo_mean"];
    assert!(mos["delta"].as_f64().expect("delta").abs() < 0.2, "{v}");

    let slow = compare(&runs[2], "slow.html");
    assert_eq!(slow.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&slow.stdout).expect("JSON");
    let delay = v["kpis"]["delay_ms_p50"]["delta"]
        .as_f64()
        .expect("delay delta");
    assert!((delay - 200.0).abs() < 20.0, "delay change {delay}: {v}");
    let breached: Vec<&str> = v["breaches"]
        .as_array()
        .expect("breaches")
        .iter()
        .filter_map(|b| b["what"].as_str())
        .collect();
    assert!(breached.contains(&"delay_ms_p50"), "{breached:?}");
    let page = std::fs::read_to_string(dir.path().join("slow.html")).expect("compare.html");
    assert!(page.contains("Past the thresholds") && page.contains("delay_ms_p50"));

    // The same speech over a lossy network: the MOS-LQO drop fails the gate.
    let lossy = compare(&runs[3], "lossy.html");
    assert_eq!(lossy.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&lossy.stdout).expect("JSON");
    let drop = v["kpis"]["mos_lqo_mean"]["delta"]
        .as_f64()
        .expect("MOS delta");
    assert!(drop < -0.5, "MOS change {drop}: {v}");
    let breached: Vec<&str> = v["breaches"]
        .as_array()
        .expect("breaches")
        .iter()
        .filter_map(|b| b["what"].as_str())
        .collect();
    assert!(breached.contains(&"mos_lqo_mean drop"), "{breached:?}");

    let missing = run(farend()
        .arg("compare")
        .arg(dir.path().join("no-such-run"))
        .arg(&runs[0]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-run"));
}
