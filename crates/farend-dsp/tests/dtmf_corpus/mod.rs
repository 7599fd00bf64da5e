//! Talk-off material shared by the talk-off tests and the `tones_speed` benchmark: Debian's
//! speech recordings (Asterisk prompts, codec2 samples) and generated music-like material.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Asterisk's English prompts (8 kHz mono WAV).
#[path = "../asterisk/mod.rs"]
mod asterisk;
pub use asterisk::asterisk_dir;
/// codec2's speech samples (8 kHz s16le raw).
pub const CODEC2_RAW: &str = "/usr/share/codec2/raw";

fn wav_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "silence") {
                wav_files(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "wav") {
            out.push(p);
        }
    }
}

fn read_wav_8k(path: &Path) -> Option<Vec<f32>> {
    let mut r = hound::WavReader::open(path).ok()?;
    let spec = r.spec();
    if spec.sample_rate != 8000 || spec.channels != 1 || spec.bits_per_sample != 16 {
        return None;
    }
    Some(
        r.samples::<i16>()
            .filter_map(Result::ok)
            .map(|s| f32::from(s) / 32768.0)
            .collect(),
    )
}

fn read_raw(path: &Path) -> Option<Vec<f32>> {
    let bytes = std::fs::read(path).ok()?;
    Some(
        bytes
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect(),
    )
}

/// Every speech recording found, one buffer per file, at 8 kHz. Empty when none is installed.
pub fn speech_files() -> Vec<Vec<f32>> {
    let mut files = Vec::new();
    wav_files(Path::new(&asterisk_dir()), &mut files);
    let mut out: Vec<Vec<f32>> = files.iter().filter_map(|p| read_wav_8k(p)).collect();
    if let Ok(rd) = std::fs::read_dir(CODEC2_RAW) {
        let mut raws: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        raws.sort();
        for p in raws {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            // Keep speech; skip the test sines, modem frames and 16 kHz material.
            if !name.ends_with(".raw") || name.starts_with("sine") || name.starts_with("test") {
                continue;
            }
            if let Some(x) = read_raw(&p) {
                out.push(x);
            }
        }
    }
    out
}

/// The speech corpus: all recordings as they are, then again at −6 dB and about 4% faster and
/// higher (resampled), then at +5 dB (saturated) and about 3% slower, with 0.3 s gaps.
pub fn speech_corpus() -> Vec<f32> {
    let files = speech_files();
    let gap = vec![0.0f32; 2400];
    let mut out = Vec::new();
    for (gain, rate) in [(1.0f32, 8000u32), (0.5, 7692), (1.78, 8247)] {
        for f in &files {
            let y = farend_dsp::resample::resample(f, 8000, rate);
            out.extend(y.iter().map(|&v| (v * gain).clamp(-1.0, 1.0)));
            out.extend_from_slice(&gap);
        }
    }
    out
}

/// Twelve minutes of generated music-like material at 8 kHz.
pub fn music_corpus() -> Vec<f32> {
    farend_dsp::tone::music::generate_music(720.0, 8000, 2024)
}

/// Writes `x` as 8 kHz s16le raw (the format `scripts/dsp/spandsp_rx` reads).
pub fn write_raw(path: &Path, x: &[f32]) -> std::io::Result<()> {
    let bytes: Vec<u8> = x
        .iter()
        .flat_map(|&v| ((v.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes())
        .collect();
    std::fs::write(path, bytes)
}

/// Reads 8 kHz s16le raw.
pub fn load_raw(path: &Path) -> Option<Vec<f32>> {
    read_raw(path)
}
