//! Helpers shared by the integration tests: speech material, signal measures, tools.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's levelled speech references (`audio-refs/speech`).
pub fn refs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../audio-refs/speech")
}

/// Reads a 16-bit mono WAV file.
pub fn read_wav(path: &Path) -> (Vec<i16>, u32) {
    let mut reader = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.bits_per_sample),
        (1, 16),
        "{}",
        path.display()
    );
    let samples = reader.samples::<i16>().map(Result::unwrap).collect();
    (samples, spec.sample_rate)
}

/// Writes a 16-bit mono WAV file.
pub fn write_wav(path: &Path, pcm: &[i16], rate: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for &s in pcm {
        writer.write_sample(s).unwrap();
    }
    writer.finalize().unwrap();
}

/// Female English speech (codec2-examples' wideband original, levelled to -26 dBov) at
/// `rate`: the repository's 8 and 16 kHz files, other rates made from the 16 kHz file
/// by sox.
pub fn speech(rate: u32) -> Vec<i16> {
    speech_named("en-f1", rate)
}

/// The reference `name` (`en-f1`, `en-m1`, ...) at `rate`.
pub fn speech_named(name: &str, rate: u32) -> Vec<i16> {
    if rate == 8000 || rate == 16000 {
        let (pcm, got) = read_wav(&refs_dir().join(format!("{name}.{}k.wav", rate / 1000)));
        assert_eq!(got, rate);
        return pcm;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("speech.wav");
    let src = refs_dir().join(format!("{name}.16k.wav"));
    run_tool(
        "sox",
        &[
            "-D".as_ref(),
            src.as_os_str(),
            out.as_os_str(),
            "rate".as_ref(),
            "-v".as_ref(),
            rate.to_string().as_ref(),
        ],
    );
    let (pcm, got) = read_wav(&out);
    assert_eq!(got, rate);
    pcm
}

/// Runs a Debian tool, failing the test with a clear message when it is missing or fails.
pub fn run_tool(tool: &str, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "`{tool}` could not be run ({e}): this test compares against it; \
             install it with scripts/setup.sh (Debian packages sox, libsox-fmt-all, opus-tools)"
        )
    });
    assert!(
        output.status.success(),
        "`{tool} {}` failed: {}",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Lag (0..=max_lag) at which `output` best matches `input` (normalised cross-correlation).
pub fn best_lag(input: &[i16], output: &[i16], max_lag: usize) -> usize {
    let n = input.len().min(output.len()) - max_lag;
    (0..=max_lag)
        .map(|lag| {
            let (mut xy, mut yy) = (0f64, 0f64);
            for i in 0..n {
                let x = f64::from(input[i]);
                let y = f64::from(output[i + lag]);
                xy += x * y;
                yy += y * y;
            }
            (lag, xy / yy.max(1.0).sqrt())
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(lag, _)| lag)
        .unwrap()
}

/// Signal-to-noise ratio in dB of `output` delayed by `lag` against `input`.
pub fn snr_db(input: &[i16], output: &[i16], lag: usize) -> f64 {
    let n = input.len().min(output.len() - lag);
    let (mut signal, mut noise) = (0f64, 0f64);
    for i in 0..n {
        let x = f64::from(input[i]);
        let e = x - f64::from(output[i + lag]);
        signal += x * x;
        noise += e * e;
    }
    10.0 * (signal / noise.max(1e-9)).log10()
}

/// Energy of `output` relative to `input`, in dB.
pub fn energy_ratio_db(input: &[i16], output: &[i16]) -> f64 {
    10.0 * (energy(output) / energy(input).max(1e-9)).log10()
}

/// Sum of squares.
pub fn energy(pcm: &[i16]) -> f64 {
    pcm.iter().map(|&s| f64::from(s) * f64::from(s)).sum()
}

/// RMS level in dB relative to full scale.
pub fn rms_dbfs(pcm: &[i16]) -> f64 {
    let mean = energy(pcm) / pcm.len().max(1) as f64;
    10.0 * (mean / (32768.0 * 32768.0)).log10()
}

/// SNR in dB at the best lag within 3 samples of `delay` (codecs that do not keep the
/// waveform's phase exactly peak a sample or two off their nominal delay).
pub fn aligned_snr_db(input: &[i16], output: &[i16], delay: usize) -> f64 {
    (delay.saturating_sub(3)..=delay + 3)
        .map(|lag| snr_db(input, output, lag))
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Pearson correlation of the 20 ms log-energy envelopes of `input` and of `output`
/// delayed by `delay`: near 1 when the output follows the input's syllables and pauses,
/// whatever the codec does to the waveform's phase. Levels are floored at -55 dBFS so that
/// a codec's idle noise in pauses (GSM-FR's, say) does not count as a different syllable.
pub fn envelope_correlation(input: &[i16], output: &[i16], delay: usize, rate: u32) -> f64 {
    let frame = rate as usize / 50;
    let n = (input.len().min(output.len() - delay)) / frame;
    let db = |s: &[i16]| rms_dbfs(s).max(-55.0);
    let a: Vec<f64> = (0..n)
        .map(|i| db(&input[i * frame..(i + 1) * frame]))
        .collect();
    let b: Vec<f64> = (0..n)
        .map(|i| db(&output[delay + i * frame..delay + (i + 1) * frame]))
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(&a), mean(&b));
    let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}
