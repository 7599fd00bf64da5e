//! A recording made at any common sound card rate fingerprints like its 8 or 16 kHz copy:
//! real cards run at 44.1 and 48 kHz while references are kept at 8 or 16 kHz.

use farend_dsp::fingerprint::Extractor;
use farend_dsp::resample::resample;

fn speech_16k() -> Vec<f32> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../audio-refs/speech/en-f1.16k.wav"
    );
    let mut reader = hound::WavReader::open(path).unwrap();
    assert_eq!(reader.spec().sample_rate, 16000);
    reader
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect()
}

#[test]
fn fingerprints_agree_across_sample_rates() {
    let base = speech_16k();
    let reference = Extractor::new(16000).unwrap().extract(&base);
    let mut report = Vec::new();
    for rate in [8000, 11025, 22050, 32000, 44100, 48000, 96000] {
        let x = resample(&base, 16000, rate);
        let fp = Extractor::new(rate).unwrap().extract(&x);
        let n = fp.frames.len().min(reference.frames.len());
        let flipped: u32 = (0..n)
            .map(|i| (fp.frames[i] ^ reference.frames[i]).count_ones())
            .sum();
        let ber = f64::from(flipped) / (n as f64 * 32.0);
        report.push(format!(
            "{rate} Hz: {} words, bit error rate {ber:.3}",
            fp.frames.len()
        ));
        assert!(
            fp.frames.len().abs_diff(reference.frames.len()) <= 1,
            "{}",
            report.join("\n")
        );
        assert!(ber < 0.05, "{}", report.join("\n"));
    }
    println!("{}", report.join("\n"));
}
