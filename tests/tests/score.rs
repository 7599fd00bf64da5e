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
