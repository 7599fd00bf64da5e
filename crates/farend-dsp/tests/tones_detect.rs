//! Tone detector: frequency within ±0.5%, levels, segment edges within ±10 ms on clean input,
//! patterns matched with tolerances.

use farend_dsp::tone::{
    PatternTolerance, TonePattern, detect_tones, generate_noise, generate_tone, match_pattern,
};

fn silence(ms: u32, rate: u32) -> Vec<f32> {
    vec![0.0; (rate * ms / 1000) as usize]
}

#[test]
fn single_tones_frequency_level_edges() {
    for rate in [8000u32, 16000, 48000] {
        for (f, level, dur_ms) in [
            (1000.0, -10.0, 2000u32),
            (300.0, -30.0, 150),
            (3000.0, -20.0, 400),
            (697.0, -45.0, 80),
        ] {
            if f > f64::from(rate) * 0.45 {
                continue;
            }
            let mut x = silence(237, rate);
            x.extend(generate_tone(f, level, f64::from(dur_ms) / 1000.0, rate));
            x.extend(silence(311, rate));
            let segs = detect_tones(&x, rate);
            assert_eq!(segs.len(), 1, "{f} Hz at {rate}: {segs:?}");
            let s = &segs[0];
            assert!(
                (s.freq_hz - f).abs() <= 0.005 * f,
                "{f} Hz at {rate}: {s:?}"
            );
            assert!(
                (s.level_dbov - level).abs() <= 0.5,
                "{f} Hz at {rate}: {s:?}"
            );
            assert!(
                (s.start_ms - 237.0).abs() <= 10.0,
                "{f} Hz at {rate}: {s:?}"
            );
            assert!(
                (s.end_ms - 237.0 - f64::from(dur_ms)).abs() <= 10.0,
                "{f} Hz at {rate}: {s:?}"
            );
        }
    }
}

#[test]
fn dual_tones_are_resolved() {
    let rate = 8000;
    let mut x = generate_tone(350.0, -20.0, 1.0, rate);
    let y = generate_tone(440.0, -20.0, 1.0, rate);
    x.iter_mut().zip(&y).for_each(|(a, b)| *a += b);
    let segs = detect_tones(&x, rate);
    assert_eq!(segs.len(), 1, "{segs:?}");
    let f = segs[0].freqs_sorted();
    assert_eq!(f.len(), 2, "{segs:?}");
    assert!(
        (f[0] - 350.0).abs() < 1.75 && (f[1] - 440.0).abs() < 2.2,
        "{f:?}"
    );
    assert!((segs[0].level_dbov + 16.99).abs() < 0.5, "{segs:?}");
}

#[test]
fn noisy_tone_still_measured() {
    let rate = 8000;
    let x = generate_tone(1000.0, -20.0, 1.0, rate);
    let n = generate_noise(-40.0, 1.0, rate, 3);
    let y: Vec<f32> = x.iter().zip(&n).map(|(a, b)| a + b).collect();
    let segs = detect_tones(&y, rate);
    assert_eq!(segs.len(), 1, "{segs:?}");
    assert!((segs[0].freq_hz - 1000.0).abs() < 5.0);
}

#[test]
fn noise_and_silence_have_no_tones() {
    assert!(detect_tones(&generate_noise(-20.0, 2.0, 8000, 9), 8000).is_empty());
    assert!(detect_tones(&silence(1000, 8000), 8000).is_empty());
    assert!(detect_tones(&[], 8000).is_empty());
    assert!(detect_tones(&[0.1; 100], 0).is_empty());
}

#[test]
fn pattern_one_khz_two_seconds_three_times() {
    let p = TonePattern::parse("1000/2000, 0/1000, x3").expect("valid pattern");
    assert_eq!(p.repeat, 3);
    assert_eq!(p.duration_ms(), 9000.0);
    let rate = 8000;
    let mut x = silence(500, rate);
    x.extend(p.generate(-15.0, rate));
    let segs = detect_tones(&x, rate);
    assert_eq!(segs.len(), 3, "{segs:?}");
    let tol = PatternTolerance {
        freq: 0.005,
        timing_ms: 10.0,
    };
    let m = match_pattern(&segs, &p, &tol).expect("pattern found");
    assert!((m.start_ms - 500.0).abs() <= 10.0, "{m:?}");
    assert!(
        m.max_timing_error_ms <= 10.0 && m.max_freq_error <= 0.005,
        "{m:?}"
    );
    // A different frequency, cadence or count is not the same pattern.
    for other in [
        "1050/2000,0/1000,x3",
        "1000/1500,0/1000,x3",
        "1000/2000,0/1000,x4",
    ] {
        let q = TonePattern::parse(other).expect("valid pattern");
        assert!(match_pattern(&segs, &q, &tol).is_none(), "{other} matched");
    }
}

#[test]
fn pattern_parse_errors() {
    assert!(TonePattern::parse("1000").is_err());
    assert!(TonePattern::parse("0/100").is_err());
    assert!(TonePattern::parse("abc/100").is_err());
    assert!(TonePattern::parse("1000/-5").is_err());
    let p = TonePattern::parse("350+440/500,-/500").expect("valid");
    assert_eq!(p.steps[0].freqs, vec![350.0, 440.0]);
}
