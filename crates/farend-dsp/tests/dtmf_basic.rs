//! DTMF receiver basics: all 16 digits, times, other rates, silence.

use farend_dsp::dtmf::{detect_dtmf, generate_dtmf};

#[test]
fn all_sixteen_digits_with_times() {
    let digits = "0123456789ABCD*#";
    let x = generate_dtmf(digits, 100, 100, -16.0, 8000).expect("valid");
    let r = detect_dtmf(&x, 8000);
    assert_eq!(r.digits, digits);
    for (i, e) in r.events.iter().enumerate() {
        let t0 = i as f64 * 200.0;
        assert!((e.start_ms - t0).abs() <= 3.0, "{e:?}");
        assert!((e.end_ms - (t0 + 100.0)).abs() <= 3.0, "{e:?}");
    }
}

#[test]
fn other_rates_are_handled() {
    for rate in [16000, 44100, 48000, 11025] {
        let x = generate_dtmf("159#", 80, 80, -12.0, rate).expect("valid");
        assert_eq!(detect_dtmf(&x, rate).digits, "159#", "rate {rate}");
    }
}

#[test]
fn silence_and_garbage_give_nothing() {
    assert_eq!(detect_dtmf(&[], 8000).digits, "");
    assert_eq!(detect_dtmf(&vec![0.0; 8000], 8000).digits, "");
    assert_eq!(detect_dtmf(&vec![0.5; 8000], 0).digits, "");
}
