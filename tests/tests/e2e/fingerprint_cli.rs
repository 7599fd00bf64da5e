//! `farend fingerprint` and `farend analyze --index` on the shipped reference library: the
//! index names references as scenarios do, whatever rates their files come in; analyze
//! judges the audio, not the file names, and exits 1 on wrong audio.

use farend_e2e::*;
use std::path::Path;

fn index_of_audio_refs(dir: &Path) -> std::path::PathBuf {
    let index = dir.join("refs.fp");
    let out = run(farend()
        .args(["fingerprint", "index", "audio-refs", "--out"])
        .arg(&index));
    assert_eq!(out.status.code(), Some(0));
    index
}

fn identify_json(index: &Path, file: &Path) -> (Option<i32>, serde_json::Value) {
    let out = run(farend()
        .args(["fingerprint", "identify", "--json", "--index"])
        .arg(index)
        .arg(file));
    let json = serde_json::from_slice(&out.stdout).expect("identify prints JSON");
    (out.status.code(), json)
}

#[test]
fn the_library_index_names_references_as_scenarios_do() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_of_audio_refs(dir.path());
    // The 16 kHz file of a reference is found under the library's name, not its file stem.
    let wideband = repo_root().join("audio-refs/speech/en-f1.16k.wav");
    let (code, json) = identify_json(&index, &wideband);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["match"], "speech/en-f1", "{json}");
    assert!(json["reason"].is_null(), "{json}");
}

#[test]
fn a_recording_that_matches_nothing_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_of_audio_refs(dir.path());
    // Half a second of a reference is too short to identify.
    if !require_tool("sox") {
        return;
    }
    let short = dir.path().join("short.wav");
    let src = repo_root().join("audio-refs/speech/en-f1.8k.wav");
    let ok = std::process::Command::new("sox")
        .arg(&src)
        .arg(&short)
        .args(["trim", "2", "0.5"])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let (code, json) = identify_json(&index, &short);
    assert_eq!(code, Some(1), "{json}");
    assert!(json["match"].is_null(), "{json}");
    assert!(
        json["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{json}"
    );
}

fn analyze(reference: &Path, recording: &Path, index: &Path) -> (Option<i32>, String) {
    let out = run(farend()
        .arg("analyze")
        .arg(reference)
        .arg(recording)
        .arg("--index")
        .arg(index));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn analyze_judges_the_audio_not_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_of_audio_refs(dir.path());
    // A case folder's copy of the reference, under the name the runner gives it.
    let reference = dir.path().join("step05-a-to-b-reference.wav");
    std::fs::copy(
        repo_root().join("audio-refs/speech/en-f1.8k.wav"),
        &reference,
    )
    .unwrap();
    let right = repo_root().join("audio-refs/speech/en-f1.16k.wav");
    let (code, stdout) = analyze(&reference, &right, &index);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(!stdout.contains("WRONG AUDIO"), "{stdout}");

    let wrong = repo_root().join("audio-refs/speech/en-m2.8k.wav");
    let (code, stdout) = analyze(&reference, &wrong, &index);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("WRONG AUDIO"), "{stdout}");
}
