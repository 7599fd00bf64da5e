//! Generator checks: lengths, levels (P.56 dBov) and frequencies of tones and DTMF.

use farend_dsp::dtmf::{DtmfError, digit_freqs, generate_dtmf};
use farend_dsp::tone::{dbm0_to_dbov, generate_tone, sine_amplitude};

fn rms_dbov(x: &[f32]) -> f64 {
    let p: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64;
    10.0 * p.log10()
}

fn zero_crossings(x: &[f32]) -> usize {
    x.windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count()
}

#[test]
fn tone_has_requested_length_level_and_frequency() {
    let x = generate_tone(1000.0, -20.0, 2.0, 8000);
    assert_eq!(x.len(), 16000);
    assert!((rms_dbov(&x) + 20.0).abs() < 0.01, "level {}", rms_dbov(&x));
    // 1 kHz for 2 s crosses zero about 4000 times.
    let zc = zero_crossings(&x) as i64;
    assert!((zc - 4000).abs() <= 2, "{zc} crossings");
    let y = generate_tone(440.0, -10.0, 0.5, 48000);
    assert_eq!(y.len(), 24000);
    assert!((rms_dbov(&y) + 10.0).abs() < 0.01);
}

#[test]
fn full_scale_sine_is_minus_3_dbov() {
    assert!((sine_amplitude(-3.0103) - 1.0).abs() < 1e-4);
    assert!((dbm0_to_dbov(0.0) + 6.15).abs() < 1e-9);
}

#[test]
fn tone_bad_input_is_empty() {
    assert!(generate_tone(1000.0, -10.0, 1.0, 0).is_empty());
    assert!(generate_tone(1000.0, -10.0, -1.0, 8000).is_empty());
    assert!(generate_tone(1000.0, -10.0, f64::NAN, 8000).is_empty());
}

#[test]
fn dtmf_layout_and_levels() {
    let x = generate_dtmf("1a#", 100, 50, -20.0, 8000).expect("valid digits");
    assert_eq!(x.len(), 3 * 1200);
    // Each tone at -20 dBov: the pair carries -16.99 dBov.
    assert!(
        (rms_dbov(&x[..800]) + 16.99).abs() < 0.05,
        "{}",
        rms_dbov(&x[..800])
    );
    assert!(x[800..1200].iter().all(|&v| v == 0.0));
    assert_eq!(digit_freqs('A'), Some((697.0, 1633.0)));
    assert_eq!(digit_freqs('#'), Some((941.0, 1477.0)));
    assert_eq!(digit_freqs('0'), Some((941.0, 1336.0)));
}

#[test]
fn dtmf_rejects_bad_digits_and_rate() {
    assert_eq!(
        generate_dtmf("12x", 100, 100, -10.0, 8000),
        Err(DtmfError::InvalidDigit('x'))
    );
    assert_eq!(
        generate_dtmf("1", 100, 100, -10.0, 0),
        Err(DtmfError::InvalidRate)
    );
    assert_eq!(generate_dtmf("", 100, 100, -10.0, 8000), Ok(Vec::new()));
}
