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
    tone_at(freq, amp, n, RATE)
}

fn tone_at(freq: f64, amp: f64, n: usize, rate: u32) -> Vec<i16> {
    (0..n)
        .map(|i| {
            (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()).round()
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

/// What one call through the lab did to a noise burst and a tone: the delay the burst's
/// cross-correlation peak shows, the configured one (transport and codec), and the tone's
/// level change in dB.
struct Measured {
    lag: usize,
    expected: usize,
    tone_db: f64,
}

/// Calls from one handset to the other on a lab whose cards run at `rate`, plays one
/// second of noise then two of a `tone_hz` tone, and measures what arrives.
fn measure_at(rate: u32, codec: CodecSpec, delay_ms: u64, tone_hz: f64) -> Measured {
    let cfg = LabConfig {
        handsets: 2,
        codec,
        sample_rate: rate,
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

    let second = rate as usize;
    let mut ear = card_connect(&b.ear, 1, rate);
    let mut mic = card_connect(&a.mic, 0, rate);
    let now = read_mic_now(&mut mic);
    let t0 = now + u64::from(rate) / 10; // 100 ms lead
    let burst_len = second / 2;
    let reference: Vec<i16> = noise(burst_len, 11)
        .into_iter()
        .chain(tone_at(tone_hz, 8000.0, 2 * second, rate))
        .collect();
    schedule(&mut mic, t0, &reference);

    // The transport delay and the codec's own.
    let expected = (delay_ms * u64::from(rate) / 1000) as usize
        + codec.algorithmic_delay() * rate as usize / codec.sample_rate() as usize;
    let want = reference.len() + expected + second / 10;
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
    let burst = &reference[..burst_len];
    let lag = (0..second / 4)
        .max_by(|&x, &y| xcorr(burst, &rec, x).total_cmp(&xcorr(burst, &rec, y)))
        .unwrap();
    // Silence until the audio arrives.
    // (A-law has no zero code: digital silence decodes to +-8, about -72 dBFS.)
    assert!(
        rms(&rec[..(delay_ms as usize * second / 1000) - second / 200]) < 12.0,
        "ear silent before the delay has passed"
    );
    // Level of the tone, away from its edges.
    let (from, to) = (
        burst_len + second / 10,
        burst_len + 2 * second - second / 10,
    );
    let tone_in = &reference[from..to];
    let tone_out = &rec[lag + from..lag + to];
    let tone_db = 20.0 * (rms(tone_out) / rms(tone_in)).log10();
    eprintln!(
        "{codec:?} at {rate} Hz, {delay_ms} ms: delay {lag} samples (configured {expected}), \
         {tone_hz} Hz tone {tone_db:+.2} dB"
    );
    drop(mic);
    Measured {
        lag,
        expected,
        tone_db,
    }
}

fn measure(codec: CodecSpec, delay_ms: u64) {
    let m = measure_at(RATE, codec, delay_ms, 1000.0);
    assert!(
        m.lag.abs_diff(m.expected) <= 1,
        "{codec:?}: measured {} samples, configured {}",
        m.lag,
        m.expected
    );
    assert!(
        m.tone_db.abs() < 0.5,
        "{codec:?}: level change {:.2} dB",
        m.tone_db
    );
}

/// Cards at 48 kHz: G.722 keeps its delay exact; a 12 kHz tone passes fullband Opus and
/// is removed by wideband Opus, as the codecs' bands say; fullband Opus also runs on a
/// 16 kHz card (resampled up to the codec and back).
#[test]
fn cards_at_48_khz_carry_fullband_opus_and_wideband_codecs() {
    let g722 = measure_at(48000, CodecSpec::G722, 80, 1000.0);
    assert!(
        g722.lag.abs_diff(g722.expected) <= 1,
        "G.722 at 48 kHz: {} samples, configured {}",
        g722.lag,
        g722.expected
    );
    assert!(g722.tone_db.abs() < 0.5, "G.722: {:.2} dB", g722.tone_db);
    let fb: CodecSpec = "opus:fb:64k".parse().unwrap();
    let wb: CodecSpec = "opus:wb:32k".parse().unwrap();
    let through_fb = measure_at(48000, fb, 80, 12000.0);
    assert!(
        through_fb.tone_db.abs() < 3.0,
        "12 kHz through Opus FB: {:.1} dB",
        through_fb.tone_db
    );
    // Opus reports 6.5 ms of look-ahead; in hybrid mode its peak falls up to 3 codec
    // samples early (farend-codec README).
    assert!(
        through_fb.lag.abs_diff(through_fb.expected) <= 4,
        "Opus FB at 48 kHz: {} samples, configured {}",
        through_fb.lag,
        through_fb.expected
    );
    let through_wb = measure_at(48000, wb, 80, 12000.0);
    assert!(
        through_wb.tone_db < -30.0,
        "12 kHz through Opus WB: {:.1} dB",
        through_wb.tone_db
    );
    let fb_on_16k = measure_at(16000, fb, 80, 1000.0);
    assert!(
        fb_on_16k.lag.abs_diff(fb_on_16k.expected) <= 2 && fb_on_16k.tone_db.abs() < 1.0,
        "Opus FB on a 16 kHz card: {} samples (configured {}), {:+.2} dB",
        fb_on_16k.lag,
        fb_on_16k.expected,
        fb_on_16k.tone_db
    );
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
