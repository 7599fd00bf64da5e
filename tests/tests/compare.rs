//! `farend compare` on real runs of the virtual lab: two runs of the same network are within
//! the thresholds (exit 0), a run over a slower network is past a delay threshold (exit 1),
//! unreadable input is exit 2; compare.html is written either way.

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

/// Runs the scenario on the virtual lab with the given one-way delay; returns the run folder.
fn run_with_delay(dir: &Path, name: &str, delay_ms: u32) -> PathBuf {
    let out = dir.join(name);
    let output = run(farend()
        .arg("run")
        .arg(dir.join("compare-speech.yaml"))
        .arg("--out")
        .arg(&out)
        .args(["--virtual-delay-ms", &delay_ms.to_string()]));
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
        let handles: Vec<_> = [("base", 60), ("again", 60), ("slow", 260)]
            .into_iter()
            .map(|(name, delay)| s.spawn(move || run_with_delay(root, name, delay)))
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

    let missing = run(farend()
        .arg("compare")
        .arg(dir.path().join("no-such-run"))
        .arg(&runs[0]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-run"));
}
