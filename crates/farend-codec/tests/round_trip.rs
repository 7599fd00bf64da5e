//! Every codec in every mode carries speech: the decoded signal keeps the input's level
//! and resembles its waveform at the codec's delay.
//!
//! Waveform SNR is a blunt measure for analysis-by-synthesis codecs (their post-filters
//! and perceptual weighting trade waveform match for sound), so the floors below are set
//! a little under what each family measures on two speakers (female en-f1, male en-m2),
//! high enough that a broken binding (wrong mode, misaligned frames, byte order, silence)
//! fails. Measured on en-f1 / en-m2: G.711 37 / 37 dB, GSM-FR 12.5 / 13.9, AMR-NB 3.8-4.3 /
//! 1.6-1.8 (the 80 Hz high-pass and post-filter cost a low male voice much waveform match),
//! AMR-WB 7.8-10.6 / 6.5-7.4, Opus 10.1-11.1 / 6.7-7.3. Every codec also has to follow
//! the input's 20 ms level envelope (correlation of at least 0.95; measured 0.97-1.0) and
//! keep its level within 1.5 dB (measured within 0.75 dB).

mod common;

use common::*;
use farend_codec::{CodecSpec, transcode};

/// Lowest acceptable SNR in dB on the reference speech.
fn snr_floor(spec: &CodecSpec) -> f64 {
    match spec {
        CodecSpec::G711ALaw | CodecSpec::G711MuLaw => 35.0,
        // A waveform coder: 31.6 dB measured on en-f1.
        CodecSpec::G722 => 25.0,
        CodecSpec::GsmFr => 10.0,
        CodecSpec::AmrNb(_) => 1.0,
        CodecSpec::AmrWb(_) => 5.5,
        CodecSpec::Opus(_) => 5.5,
        _ => unreachable!("a codec without a floor: add one"),
    }
}

#[test]
fn every_codec_and_mode_preserves_speech() {
    let mut failures = Vec::new();
    for spec in CodecSpec::catalogue() {
        let rate = spec.sample_rate();
        for speaker in ["en-f1", "en-m2"] {
            let input = speech_named(speaker, rate);
            let output = transcode(&spec, &input, rate, &[]).unwrap();
            assert_eq!(output.len(), input.len(), "{spec}: output length");
            let delay = spec.algorithmic_delay();
            let snr = aligned_snr_db(&input, &output, delay);
            let level = energy_ratio_db(&input[..input.len() - delay], &output[delay..]);
            let envelope = envelope_correlation(&input, &output, delay, rate);
            println!(
                "{:<22} {speaker}: SNR {snr:6.2} dB, level {level:+.2} dB, envelope {envelope:.4}",
                spec.name()
            );
            if snr < snr_floor(&spec) || level.abs() > 1.5 || envelope < 0.95 {
                failures.push(format!(
                    "{} on {speaker}: SNR {snr:.2} dB (floor {}), level {level:+.2} dB (limit ±1.5), \
                     envelope correlation {envelope:.4} (floor 0.95)",
                    spec.name(),
                    snr_floor(&spec)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn silence_stays_quiet() {
    for spec in CodecSpec::catalogue() {
        let silence = vec![0i16; spec.sample_rate() as usize / 2];
        let output = transcode(&spec, &silence, spec.sample_rate(), &[]).unwrap();
        let loudest = output.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(
            loudest <= 64,
            "{}: silence decodes to peaks of {loudest}",
            spec.name()
        );
    }
}

#[test]
fn wrong_rate_is_refused() {
    let spec: CodecSpec = "amr-wb:12.65".parse().unwrap();
    let err = transcode(&spec, &[0; 320], 8000, &[]).unwrap_err();
    assert!(err.to_string().contains("16000 Hz"), "{err}");
}

#[test]
fn bit_rates_match_the_modes() {
    // 20 ms frames: payload bytes x 8 x 50 is the bit rate plus the ToC byte's 400 bit/s.
    for spec in CodecSpec::catalogue() {
        let rate = spec.sample_rate();
        let input = speech(rate);
        let mut codec = spec.instantiate().unwrap();
        let frame = spec.frame_samples();
        let mut bytes = 0;
        let mut frames = 0;
        for chunk in input.chunks_exact(frame) {
            let mut payload = Vec::new();
            codec.encode(chunk, &mut payload).unwrap();
            bytes += payload.len();
            frames += 1;
        }
        let bps = bytes as f64 * 8.0 * 50.0 / frames as f64;
        let nominal = match spec {
            CodecSpec::G711ALaw | CodecSpec::G711MuLaw | CodecSpec::G722 => 64_000.0,
            CodecSpec::GsmFr => 13_200.0,
            CodecSpec::AmrNb(m) => f64::from(m.bitrate_bps()),
            CodecSpec::AmrWb(m) => f64::from(m.bitrate_bps()),
            CodecSpec::Opus(o) => f64::from(o.bitrate_bps),
            _ => unreachable!(),
        };
        // AMR frames round up to whole bytes and carry a ToC byte; Opus VBR wanders.
        let (low, high) = match spec {
            CodecSpec::Opus(_) => (0.6 * nominal, 1.25 * nominal),
            _ => (nominal, nominal + 800.0),
        };
        assert!(
            (low..=high).contains(&bps),
            "{}: {bps:.0} bit/s, expected {low:.0}..={high:.0}",
            spec.name()
        );
    }
}
