//! Shared helpers of the integration tests: locating the reference data, reading WAVs.

#![allow(dead_code)]

use std::path::PathBuf;

/// Directory of the shared reference material, or None (with a printed reason) when absent.
pub fn refs_dir() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("FAREND_REFS") {
        let p = PathBuf::from(p);
        if p.is_dir() {
            return Some(p);
        }
    }
    let fallback = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/refs");
    if fallback.is_dir() {
        return Some(fallback);
    }
    if std::env::var_os("CI").is_some() {
        panic!("reference data not found: set FAREND_REFS to the shared refs directory");
    }
    eprintln!("skipping: reference data not found (set FAREND_REFS)");
    None
}

/// Reads a 16-bit mono WAV: (rate, samples).
pub fn read_wav(path: &std::path::Path) -> (u32, Vec<i16>) {
    let mut r = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let rate = r.spec().sample_rate;
    let s: Vec<i16> = r.samples::<i16>().map(|v| v.expect("sample")).collect();
    (rate, s)
}
