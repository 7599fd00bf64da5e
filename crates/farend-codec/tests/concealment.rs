//! Lost frames: each codec's concealment keeps the output the right length, free of
//! overflow, and (for the codecs that conceal) filled with speech-like energy where the
//! frames went missing. G.711 plays silence instead, which is checked too.

mod common;

use common::*;
use farend_codec::{CodecSpec, transcode};

/// Index of the first of three consecutive loud frames of `pcm`.
fn loudest_burst(pcm: &[i16], frame: usize) -> usize {
    let frames = pcm.len() / frame;
    (5..frames - 20)
        .max_by(|&a, &b| {
            let e = |i: usize| energy(&pcm[i * frame..(i + 3) * frame]);
            e(a).total_cmp(&e(b))
        })
        .unwrap()
}

/// Samples at full scale: a decoder that overflows or blows up pins many of them.
fn clipped(pcm: &[i16]) -> usize {
    pcm.iter()
        .filter(|&&s| s == i16::MAX || s <= -i16::MAX)
        .count()
}

#[test]
fn lost_frames_are_concealed() {
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for spec in CodecSpec::catalogue() {
        let rate = spec.sample_rate();
        let frame = spec.frame_samples();
        let input = speech(rate);
        // The loudest 60 ms lose all three frames; frames are also lost one at a time.
        let burst = loudest_burst(&input, frame);
        let mut lost: Vec<usize> = (burst..burst + 3).collect();
        lost.extend((10..input.len() / frame).step_by(25));
        let clean = transcode(&spec, &input, rate, &[]).unwrap();
        let concealed = transcode(&spec, &input, rate, &lost).unwrap();
        assert_eq!(concealed.len(), input.len(), "{spec}: output length");
        assert!(
            clipped(&concealed) <= clipped(&clean),
            "{spec}: concealment clips {} samples, the clean decode {}",
            clipped(&concealed),
            clipped(&clean)
        );
        // Decoder output slots: frame i is written at [i * frame, (i + 1) * frame).
        let slot = |pcm: &[i16], i: usize, n: usize| rms_dbfs(&pcm[i * frame..(i + n) * frame]);
        let first = slot(&concealed, burst, 1) - slot(&clean, burst, 1);
        let whole = slot(&concealed, burst, 3);
        let after = slot(&concealed, burst + 13, 10) - slot(&clean, burst + 13, 10);
        report.push(format!(
            "{:<22} first lost frame {first:+6.1} dB vs clean, burst {whole:6.1} dBFS, \
             200 ms later {after:+5.1} dB",
            spec.name()
        ));
        match spec {
            // Neither library has a loss concealment: a lost frame is played as silence.
            CodecSpec::G711ALaw | CodecSpec::G711MuLaw | CodecSpec::G722 => {
                if concealed[burst * frame..(burst + 3) * frame]
                    .iter()
                    .any(|&s| s != 0)
                {
                    failures.push(format!("{spec}: a lost frame is not silence"));
                }
            }
            _ => {
                // Concealment starts near the last good level (measured: GSM-FR, AMR-NB and
                // Opus 0.4-4.1 dB below the clean decode, AMR-WB 5.8-10.1 dB) and never
                // leaves the whole burst silent.
                if first.abs() > 12.0 || whole < -50.0 {
                    failures.push(format!(
                        "{spec}: first concealed frame {first:+.1} dB from clean, burst at {whole:.1} dBFS"
                    ));
                }
            }
        }
        if after.abs() > 3.0 {
            failures.push(format!(
                "{spec}: 200 ms after the loss the level is still {after:+.1} dB off"
            ));
        }
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn losing_the_first_frames_is_harmless() {
    for spec in CodecSpec::catalogue() {
        let rate = spec.sample_rate();
        let input = speech(rate)[..rate as usize].to_vec();
        let out = transcode(&spec, &input, rate, &[0, 1, 2]).unwrap();
        assert_eq!(out.len(), input.len(), "{spec}");
        let start = &out[..3 * spec.frame_samples()];
        assert!(
            start.iter().all(|s| s.unsigned_abs() < 1000),
            "{spec}: concealing with nothing received yet made noise"
        );
    }
}

#[test]
fn losing_every_frame_fades_to_silence() {
    for spec in CodecSpec::catalogue() {
        let rate = spec.sample_rate();
        let frame = spec.frame_samples();
        let input = speech(rate)[..2 * rate as usize].to_vec();
        let frames = input.len() / frame;
        // Half a second of speech, then nothing arrives for 1.5 s.
        let lost: Vec<usize> = (25..frames).collect();
        let out = transcode(&spec, &input, rate, &lost).unwrap();
        let tail = rms_dbfs(&out[(frames - 10) * frame..frames * frame]);
        assert!(
            tail < -60.0,
            "{spec}: after 1.3 s of loss the output is at {tail:.1} dBFS"
        );
    }
}
