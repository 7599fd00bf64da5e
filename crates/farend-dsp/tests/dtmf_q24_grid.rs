//! ITU-T Q.24 / Bellcore receiver grid: every operate point detected, no non-operate point.
//!
//! Grid: 16 digits × frequency offsets (nominal and ±1.5% operate, ±3.5% on one tone at a
//! time non-operate) × twist (0, 8 dB normal, 4 dB reverse) × levels (−36…0 dBm0 per tone)
//! × durations (40 ms operate, 20 ms non-operate) × clean / white noise at 15 dB SNR
//! (relative to the weaker tone).

use farend_dsp::dtmf::{COL_FREQS, KEYPAD, ROW_FREQS, detect_dtmf};
use farend_dsp::tone::{dbm0_to_dbov, generate_noise, generate_tone};

const RATE: u32 = 8000;

/// One test signal: 60 ms lead, the tone pair, 100 ms tail, optional noise.
fn signal(
    f_lo: f64,
    f_hi: f64,
    lo_dbm0: f64,
    hi_dbm0: f64,
    ms: u32,
    snr: Option<f64>,
    seed: u64,
) -> Vec<f32> {
    let d = f64::from(ms) / 1000.0;
    let lo = generate_tone(f_lo, dbm0_to_dbov(lo_dbm0), d, RATE);
    let hi = generate_tone(f_hi, dbm0_to_dbov(hi_dbm0), d, RATE);
    let lead = 480;
    let mut x = vec![0.0f32; lead + lo.len() + 800];
    for i in 0..lo.len() {
        x[lead + i] = lo[i] + hi[i];
    }
    if let Some(snr) = snr {
        let noise_dbov = dbm0_to_dbov(lo_dbm0.min(hi_dbm0)) - snr;
        let n = generate_noise(noise_dbov, x.len() as f64 / f64::from(RATE), RATE, seed);
        for (v, w) in x.iter_mut().zip(n) {
            *v += w;
        }
    }
    x
}

struct Tally {
    operate: usize,
    operate_ok: usize,
    reject: usize,
    reject_ok: usize,
    failures: Vec<String>,
}

#[test]
fn q24_grid() {
    let twists = [(0.0, 0.0), (0.0, -8.0), (-4.0, 0.0)]; // (low, high) offsets from base: normal 8, reverse 4
    let bases = [-28.0, -16.0, 0.0];
    let ops = [
        (0.0, 0.0),
        (0.015, 0.015),
        (-0.015, -0.015),
        (0.015, -0.015),
        (-0.015, 0.015),
    ];
    let rejects = [(0.035, 0.0), (-0.035, 0.0), (0.0, 0.035), (0.0, -0.035)];
    let mut t = Tally {
        operate: 0,
        operate_ok: 0,
        reject: 0,
        reject_ok: 0,
        failures: Vec::new(),
    };
    let mut seed = 1u64;
    for (r, row) in KEYPAD.iter().enumerate() {
        for (c, &digit) in row.iter().enumerate() {
            let (f_lo, f_hi) = (ROW_FREQS[r], COL_FREQS[c]);
            for &(tl, th) in &twists {
                for &base in &bases {
                    // The weaker tone sits at base − 8 at worst: base −28 puts it at −36 dBm0.
                    let (l_lo, l_hi) = (base + tl, base + th);
                    for snr in [None, Some(15.0)] {
                        seed += 1;
                        for &(dl, dh) in &ops {
                            let x = signal(
                                f_lo * (1.0 + dl),
                                f_hi * (1.0 + dh),
                                l_lo,
                                l_hi,
                                40,
                                snr,
                                seed,
                            );
                            let got = detect_dtmf(&x, RATE).digits;
                            t.operate += 1;
                            if got == digit.to_string() {
                                t.operate_ok += 1;
                            } else {
                                t.failures.push(format!("operate {digit} dev ({dl},{dh}) levels ({l_lo},{l_hi}) snr {snr:?} 40 ms: got {got:?}"));
                            }
                            // 20 ms: never.
                            let x = signal(
                                f_lo * (1.0 + dl),
                                f_hi * (1.0 + dh),
                                l_lo,
                                l_hi,
                                20,
                                snr,
                                seed,
                            );
                            let got = detect_dtmf(&x, RATE).digits;
                            t.reject += 1;
                            if got.is_empty() {
                                t.reject_ok += 1;
                            } else {
                                t.failures.push(format!("20 ms {digit} dev ({dl},{dh}) levels ({l_lo},{l_hi}) snr {snr:?}: got {got:?}"));
                            }
                        }
                        for &(dl, dh) in &rejects {
                            let x = signal(
                                f_lo * (1.0 + dl),
                                f_hi * (1.0 + dh),
                                l_lo,
                                l_hi,
                                100,
                                snr,
                                seed,
                            );
                            let got = detect_dtmf(&x, RATE).digits;
                            t.reject += 1;
                            if got.is_empty() {
                                t.reject_ok += 1;
                            } else {
                                t.failures.push(format!("reject {digit} dev ({dl},{dh}) levels ({l_lo},{l_hi}) snr {snr:?}: got {got:?}"));
                            }
                        }
                    }
                }
            }
        }
    }
    println!(
        "Q.24 grid: operate {}/{} detected, non-operate {}/{} rejected",
        t.operate_ok, t.operate, t.reject_ok, t.reject
    );
    for f in t.failures.iter().take(30) {
        println!("  {f}");
    }
    assert!(
        t.failures.is_empty(),
        "{} grid points failed",
        t.failures.len()
    );
}

#[test]
fn forty_on_fifty_off_sequences_keep_every_digit() {
    let digits = "1111223344556677889900AABBCCDD**##";
    let x =
        farend_dsp::dtmf::generate_dtmf(digits, 40, 50, dbm0_to_dbov(-20.0), RATE).expect("valid");
    let noise = generate_noise(dbm0_to_dbov(-35.0), x.len() as f64 / 8000.0, RATE, 7);
    let y: Vec<f32> = x.iter().zip(noise).map(|(a, b)| a + b).collect();
    assert_eq!(detect_dtmf(&y, RATE).digits, digits);
}

#[test]
fn short_interruptions_are_bridged() {
    // 60 ms tone, 8 ms break, 60 ms tone: one digit.
    let a = farend_dsp::dtmf::generate_dtmf("7", 60, 8, -20.0, RATE).expect("valid");
    let b = farend_dsp::dtmf::generate_dtmf("7", 60, 100, -20.0, RATE).expect("valid");
    let x: Vec<f32> = a.into_iter().chain(b).collect();
    assert_eq!(detect_dtmf(&x, RATE).digits, "7");
}

#[test]
fn twist_beyond_limits_is_rejected() {
    // 14 dB normal twist and 10 dB reverse twist are far outside 8/4 dB.
    for (lo, hi) in [(-10.0, -24.0), (-20.0, -10.0)] {
        let x = signal(770.0, 1336.0, lo, hi, 100, None, 3);
        assert_eq!(detect_dtmf(&x, RATE).digits, "", "levels {lo} {hi}");
    }
}
