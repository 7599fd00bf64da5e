//! Audio through the virtual sound cards and the network: delay and level, end to end.

mod common;

use std::time::Duration;

use common::{call_state, card_connect, read_ear_frame, read_mic_now, schedule, sh};
use farend_lab::{CodecSpec, LabConfig, VirtualLab};

const RATE: u32 = 16000;

fn noise(n: usize, seed: u64) -> Vec<i16> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 33) % 12000) as i16 - 6000
        })
        .collect()
}

fn tone(freq: f64, amp: f64, n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(RATE)).sin()).round()
                as i16
        })
        .collect()
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

fn xcorr(x: &[i16], y: &[i16], lag: usize) -> f64 {
    x.iter()
        .zip(y.iter().skip(lag))
        .map(|(&a, &b)| f64::from(a) * f64::from(b))
        .sum()
}

fn measure(codec: CodecSpec, delay_ms: u64) {
    let cfg = LabConfig {
        handsets: 2,
        codec,
        transport_delay: Duration::from_millis(delay_ms),
        ..LabConfig::default()
    };
    let lab = VirtualLab::start(cfg).unwrap();
    let (a, b) = (&lab.handsets()[0], &lab.handsets()[1]);
    sh(
        a.adb_addr,
        &format!("am start -a android.intent.action.CALL -d tel:{}", b.number),
    );
    sh(b.adb_addr, "input keyevent KEYCODE_CALL");
    assert_eq!((call_state(a.adb_addr), call_state(b.adb_addr)), (2, 2));

    let mut ear = card_connect(&b.ear, 1, RATE);
    let mut mic = card_connect(&a.mic, 0, RATE);
    let now = read_mic_now(&mut mic);
    let t0 = now + u64::from(RATE) / 10; // 100 ms lead
    let reference: Vec<i16> = noise(8000, 11)
        .into_iter()
        .chain(tone(1000.0, 8000.0, 16000))
        .collect();
    schedule(&mut mic, t0, &reference);

    let expected_delay = (delay_ms * u64::from(RATE) / 1000) as usize;
    let want = reference.len() + expected_delay + 1600;
    let mut rec: Vec<i16> = Vec::new();
    let mut next: Option<u64> = None;
    while rec.len() < want {
        // Keep the mic's `now` stream drained, as clients must.
        let (start, samples) = read_ear_frame(&mut ear);
        if let Some(n) = next {
            assert_eq!(start, n, "ear frames are contiguous");
        }
        next = Some(start + samples.len() as u64);
        if start + samples.len() as u64 <= t0 {
            continue;
        }
        let skip = t0.saturating_sub(start) as usize;
        assert!(rec.is_empty() || skip == 0);
        rec.extend_from_slice(&samples[skip..]);
    }
    // Delay: the cross-correlation peak of the noise burst.
    let burst = &reference[..8000];
    let lag = (0..4000)
        .max_by(|&x, &y| xcorr(burst, &rec, x).total_cmp(&xcorr(burst, &rec, y)))
        .unwrap();
    assert!(
        lag.abs_diff(expected_delay) <= 1,
        "{codec:?}: measured {lag} samples, configured {expected_delay}"
    );
    // Silence until the audio arrives.
    // (A-law has no zero code: digital silence decodes to +-8, about -72 dBFS.)
    assert!(
        rms(&rec[..expected_delay - 80]) < 12.0,
        "ear silent before the delay has passed"
    );
    // Level of the tone, away from its edges.
    let tone_in = &reference[8000 + 1600..8000 + 14400];
    let tone_out = &rec[lag + 8000 + 1600..lag + 8000 + 14400];
    let db = 20.0 * (rms(tone_out) / rms(tone_in)).log10();
    assert!(db.abs() < 0.5, "{codec:?}: level change {db:.2} dB");
    eprintln!(
        "{codec:?} {delay_ms} ms: measured delay {lag} samples (configured {expected_delay}), level change {db:+.3} dB"
    );
    drop(mic);
}

#[test]
fn alaw_60ms_delay_and_level_are_exact() {
    measure(CodecSpec::G711ALaw, 60);
}

#[test]
fn mulaw_150ms_delay_and_level_are_exact() {
    measure(CodecSpec::G711MuLaw, 150);
}

#[test]
fn ear_is_silent_without_a_call_and_clock_advances_in_real_time() {
    let lab = VirtualLab::start(LabConfig {
        handsets: 1,
        ..LabConfig::default()
    })
    .unwrap();
    let h = &lab.handsets()[0];
    let mut ear = card_connect(&h.ear, 1, RATE);
    let mut mic = card_connect(&h.mic, 0, RATE);
    let first_now = read_mic_now(&mut mic);
    schedule(&mut mic, first_now + 320, &tone(1000.0, 10000.0, 3200));
    let t = std::time::Instant::now();
    let (start, s) = read_ear_frame(&mut ear);
    assert_eq!(s.len(), 320);
    let mut last = start;
    for _ in 0..25 {
        let (st, s) = read_ear_frame(&mut ear);
        assert_eq!(st, last + 320);
        assert!(s.iter().all(|&v| v == 0), "no call: silence");
        last = st;
    }
    let el = t.elapsed().as_secs_f64();
    // Real time, with slack for a loaded machine (the clock catches up after a stall).
    assert!(
        (0.25..2.0).contains(&el),
        "25 ticks of 20 ms took {el:.3} s"
    );
    let mut latest = first_now;
    for _ in 0..5 {
        latest = read_mic_now(&mut mic);
    }
    assert!(latest > first_now && (latest - first_now).is_multiple_of(320));
}
