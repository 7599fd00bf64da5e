//! `farend score` end to end: a recording of other audio gets an answer (a warning in the
//! JSON, a line in the text output, exit 1), not just a number; the reference against
//! itself scores at the top with no warning.

use farend_e2e::*;
use std::path::PathBuf;

fn speech(name: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "audio-refs",
        "speech",
        name,
    ]
    .iter()
    .collect();
    path.display().to_string()
}

#[test]
fn another_recording_is_reported_as_unrelated_audio() {
    let out = run(farend().args([
        "score",
        &speech("en-f2.8k.wav"),
        &speech("en-m1.8k.wav"),
        "--json",
    ]));
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect();
    assert!(codes.contains(&"not_correlated"), "{v}");

    let text = run(farend().args(["score", &speech("en-f2.8k.wav"), &speech("en-m1.8k.wav")]));
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("warning:") && stdout.contains("does not follow the reference"),
        "{stdout}"
    );
}

#[test]
fn the_reference_against_itself_scores_at_the_top_without_warnings() {
    let out = run(farend().args([
        "score",
        &speech("en-m1.8k.wav"),
        &speech("en-m1.8k.wav"),
        "--json",
    ]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(0), "{v}");
    assert!(v["mos_lqo"].as_f64().expect("mos_lqo") > 4.5, "{v}");
}

#[test]
fn dir_scores_every_degraded_name_the_help_promises_and_names_the_leftovers() {
    let dir = std::env::temp_dir().join(format!("farend-e2e-score-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let reference = speech("en-m1.8k.wav");
    for name in [
        "call.ref.wav",
        "call.deg-x.wav",
        "call.deg2.wav",
        "lone.ref.wav",
    ] {
        std::fs::copy(&reference, dir.join(name)).expect("copy");
    }
    let out = run(farend().args(["score", "--dir", &dir.display().to_string(), "--json"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let degraded: Vec<String> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["degraded"].as_str())
        .map(|d| d.rsplit('/').next().unwrap_or(d).to_string())
        .collect();
    assert_eq!(degraded, ["call.deg-x.wav", "call.deg2.wav"], "{v}");
    assert!(
        stderr.contains("lone.ref.wav") && stderr.contains("not scored"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
