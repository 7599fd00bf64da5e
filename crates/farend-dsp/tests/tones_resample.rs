//! Resampler: tones keep frequency and level, content above the new Nyquist is removed.

use farend_dsp::resample::resample;
use farend_dsp::tone::generate_tone;

fn rms_dbov(x: &[f32]) -> f64 {
    let p: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64;
    10.0 * p.max(1e-30).log10()
}

#[test]
fn down_and_up_keep_tones() {
    for (from, to) in [
        (16000u32, 8000u32),
        (48000, 8000),
        (44100, 8000),
        (8000, 16000),
        (11025, 8000),
    ] {
        let x = generate_tone(1000.0, -20.0, 1.0, from);
        let y = resample(&x, from, to);
        assert_eq!(y.len(), to as usize, "{from}->{to}");
        // Ignore the kernel's run-in at both ends.
        let mid = &y[y.len() / 10..y.len() * 9 / 10];
        assert!(
            (rms_dbov(mid) + 20.0).abs() < 0.2,
            "{from}->{to}: {}",
            rms_dbov(mid)
        );
        let reference = generate_tone(1000.0, -20.0, 1.0, to);
        let err: Vec<f32> = (y.len() / 10..y.len() * 9 / 10)
            .map(|i| y[i] - reference[i])
            .collect();
        assert!(
            rms_dbov(&err) < -60.0,
            "{from}->{to}: error {}",
            rms_dbov(&err)
        );
    }
}

#[test]
fn aliases_are_removed() {
    // 6 kHz at 48 kHz has no place at 8 kHz.
    let x = generate_tone(6000.0, -10.0, 0.5, 48000);
    let y = resample(&x, 48000, 8000);
    assert!(
        rms_dbov(&y[400..3600]) < -60.0,
        "{}",
        rms_dbov(&y[400..3600])
    );
    assert!(resample(&x, 48000, 0).is_empty());
    assert_eq!(resample(&x, 48000, 48000).len(), x.len());
}
