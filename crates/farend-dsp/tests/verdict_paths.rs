//! Delay and audio-path verdicts on speech through real telephony degradations.

mod fingerprint_support;

use farend_dsp::fingerprint::Index;
use farend_dsp::verdict::{AnalyzeOptions, analyze_call, analyze_path, analyze_path_with_library};
use fingerprint_support::{RATE, Rng, amr475, library, to_f32, tools_or_skip, with_noise};

/// A few ≥ 6 s speech references.
fn references(n: usize) -> Vec<(String, Vec<i16>)> {
    let (indexed, _) = library();
    indexed
        .parts
        .iter()
        .step_by(7)
        .take(n)
        .map(|(name, a, b)| (name.clone(), indexed.clean[*a..*b].to_vec()))
        .collect()
}

/// The recording of `x` played `delay` samples after the recording started, with a tail.
fn delayed(x: &[i16], delay: usize) -> Vec<i16> {
    let mut y = vec![0i16; delay];
    y.extend_from_slice(x);
    y.extend(std::iter::repeat_n(0, RATE as usize / 2));
    y
}

#[test]
fn fine_delay_within_1_ms_through_amr_475_noise_and_loss() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let refs = references(12);
    // The codec's own delay, from a clean pass of all references.
    let all: Vec<i16> = refs.iter().flat_map(|r| r.1.iter().copied()).collect();
    let clean_pass = amr475(&all, 0.0, 1, "codec");
    let codec = farend_dsp::delay::estimate_delay(&to_f32(&all), &to_f32(&clean_pass), RATE, 0.1)
        .expect("codec delay");
    let mut rng = Rng(21);
    let mut worst: f64 = 0.0;
    for (n, (name, x)) in refs.iter().enumerate() {
        let delay = 160 + rng.below(8000); // 20 ms .. 1.02 s
        let noisy = with_noise(x, 10.0, n as u64);
        let path = amr475(
            &delayed(&noisy, delay),
            0.03,
            n as u64 + 100,
            &format!("d{n}"),
        );
        let truth_ms =
            (delay as f64 + codec.ms * f64::from(RATE) / 1000.0) * 1000.0 / f64::from(RATE);
        let opts = AnalyzeOptions {
            fixed_path_delay_ms: 12.5,
            ..AnalyzeOptions::default()
        };
        let a = analyze_path(&to_f32(x), &to_f32(&path), RATE, &opts);
        let d = a.delay.unwrap_or_else(|| panic!("{name}: no delay"));
        let err = d.delay_ms - truth_ms;
        eprintln!(
            "{name}: true {truth_ms:.2} ms, measured {:.2} ms (coarse {:.2}, {:?}), error {err:+.2} ms",
            d.delay_ms, d.coarse_ms, d.method
        );
        worst = worst.max(err.abs());
        assert!(err.abs() <= 1.0, "{name}: delay error {err:.2} ms");
        assert!((d.mouth_to_ear_ms - (d.delay_ms - 12.5)).abs() < 1e-9);
        assert!(a.audio_present);
    }
    eprintln!(
        "worst fine delay error {worst:.2} ms (codec delay {:.2} ms)",
        codec.ms
    );
}

#[test]
fn silence_on_one_side_is_one_way_audio() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let refs = references(2);
    let (a, b) = (to_f32(&refs[0].1), to_f32(&refs[1].1));
    let heard = to_f32(&delayed(&refs[0].1, 800));
    let mut rng = Rng(3);
    // Line noise at about −80 dBov, no speech.
    let silent: Vec<f32> = (0..b.len() + 4000)
        .map(|_| ((rng.unit() - 0.5) * 3.5e-4) as f32)
        .collect();
    let opts = AnalyzeOptions::default();
    let a_to_b = analyze_path(&a, &heard, RATE, &opts);
    let b_to_a = analyze_path(&b, &silent, RATE, &opts);
    assert!(a_to_b.audio_present);
    assert!(!b_to_a.audio_present);
    assert!(b_to_a.delay.is_none());
    let call = analyze_call(a_to_b.clone(), b_to_a);
    assert!(call.one_way_audio && !call.no_audio);
    let both = analyze_call(a_to_b.clone(), a_to_b);
    assert!(!both.one_way_audio && !both.no_audio);
}

#[test]
fn mute_gap_is_found_with_its_length() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let refs = references(3);
    for (name, x) in &refs {
        let reference = to_f32(x);
        let mut rec = delayed(x, 1200);
        let opts = AnalyzeOptions::default();
        let clean = analyze_path(&reference, &to_f32(&rec), RATE, &opts);
        assert!(
            clean.gaps.is_empty(),
            "{name}: gaps in a clean recording: {:?}",
            clean.gaps
        );
        // Mute 500 ms in the middle of the loudest second.
        let frames: Vec<f64> = x
            .chunks(8000)
            .map(|c| c.iter().map(|&s| f64::from(s).abs()).sum())
            .collect();
        let loud = frames
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        let start = 1200 + loud * 8000 + 2000;
        rec[start..start + 4000].fill(0);
        let cut = analyze_path(&reference, &to_f32(&rec), RATE, &opts);
        eprintln!("{name}: gaps {:?}", cut.gaps);
        assert!(
            (350.0..=520.0).contains(&cut.max_gap_ms),
            "{name}: longest gap {} ms",
            cut.max_gap_ms
        );
        let g = cut
            .gaps
            .iter()
            .find(|g| g.duration_ms == cut.max_gap_ms)
            .unwrap();
        assert!(
            g.start_ms >= start as f64 / 8.0 - 10.0 && g.start_ms <= start as f64 / 8.0 + 160.0
        );
    }
}

#[test]
fn level_clipping_and_noise_floor() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let refs = references(1);
    let x = &refs[0].1;
    let reference = to_f32(x);
    let opts = AnalyzeOptions::default();
    // 6 dB quieter, with noise at −60 dBov.
    let mut rng = Rng(9);
    let quiet: Vec<f32> = to_f32(&delayed(x, 400))
        .iter()
        .map(|v| v * 0.5 + ((rng.unit() - 0.5) * 2.0 * 1.7320508e-3) as f32)
        .collect();
    let a = analyze_path(&reference, &quiet, RATE, &opts);
    let (rl, l) = (a.reference_level_dbov.unwrap(), a.level_dbov.unwrap());
    assert!((l - (rl - 6.02)).abs() < 0.7, "level {l} vs reference {rl}");
    let floor = a.noise_floor_dbov.unwrap();
    assert!((-63.0..=-57.0).contains(&floor), "noise floor {floor}");
    assert!(!a.clipping.clipped);
    // 20 dB louder, saturating.
    let loud: Vec<f32> = to_f32(&delayed(x, 400))
        .iter()
        .map(|v| (v * 10.0).clamp(-1.0, 1.0))
        .collect();
    let b = analyze_path(&reference, &loud, RATE, &opts);
    assert!(
        b.clipping.clipped && b.clipping.clipped_samples > 100,
        "{:?}",
        b.clipping
    );
}

#[test]
fn another_reference_winning_is_wrong_audio() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let refs = references(4);
    let mut index = Index::new();
    for (name, x) in &refs {
        index.add(name, &to_f32(x), RATE).unwrap();
    }
    let played = &refs[2];
    let rec = amr475(
        &delayed(&with_noise(&played.1, 15.0, 4), 2400),
        0.02,
        5,
        "wrong",
    );
    let opts = AnalyzeOptions::default();
    let right = analyze_path_with_library(
        &to_f32(&played.1),
        &to_f32(&rec),
        RATE,
        &opts,
        &index,
        &played.0,
    );
    let id = right.identity.as_ref().unwrap();
    assert_eq!(id.identified.matched.as_deref(), Some(played.0.as_str()));
    assert!(!id.wrong_audio);
    let expected = &refs[1];
    let wrong = analyze_path_with_library(
        &to_f32(&expected.1),
        &to_f32(&rec),
        RATE,
        &opts,
        &index,
        &expected.0,
    );
    assert!(wrong.identity.as_ref().unwrap().wrong_audio);
    // The expected reference is not in the recording: no delay can be measured against it
    // from the fingerprint, and any cross-correlation estimate is weak.
    assert!(
        wrong.delay.is_none_or(|d| d.confidence < 0.5),
        "{:?}",
        wrong.delay
    );
}

/// `x` as a card `ppm` millionths slow plays it, starting `delay` samples late: sample `n`
/// is `x` at `n·(1 − ppm·10⁻⁶) − delay`, interpolated by a windowed sinc.
fn drifted(x: &[i16], ppm: f64, delay: f64) -> Vec<i16> {
    const HALF: i64 = 24;
    let len = x.len() + (delay as usize) + RATE as usize / 2;
    (0..len)
        .map(|n| {
            let at = n as f64 * (1.0 - ppm * 1e-6) - delay;
            let base = at.floor() as i64;
            let mut sum = 0.0;
            for k in base - HALF + 1..=base + HALF {
                if k < 0 || k as usize >= x.len() {
                    continue;
                }
                let t = at - k as f64;
                let sinc = if t.abs() < 1e-9 {
                    1.0
                } else {
                    (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
                };
                let w = 0.5 + 0.5 * (std::f64::consts::PI * t / HALF as f64).cos();
                sum += f64::from(x[k as usize]) * sinc * w;
            }
            sum.round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

#[test]
fn clock_drift_between_the_cards_is_measured_per_play() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let refs = references(8);
    let mut worst: f64 = 0.0;
    for (n, pair) in refs.chunks(2).enumerate() {
        // Two references back to back: a play of 12 s or more.
        let x: Vec<i16> = pair.iter().flat_map(|r| r.1.iter().copied()).collect();
        for ppm in [-120.0, 0.0, 40.0, 200.0] {
            let noisy = with_noise(&x, 15.0, n as u64);
            let path = amr475(
                &drifted(&noisy, ppm, 800.5),
                0.01,
                n as u64 + 7,
                &format!("drift{n}"),
            );
            let a = analyze_path(
                &to_f32(&x),
                &to_f32(&path),
                RATE,
                &AnalyzeOptions::default(),
            );
            let got = a.delay.and_then(|d| d.drift_ppm).expect("drift measured");
            eprintln!("{}: true {ppm:+.0} ppm, measured {got:+.1} ppm", pair[0].0);
            worst = worst.max((got - ppm).abs());
        }
    }
    eprintln!("worst drift error {worst:.1} ppm");
    assert!(worst <= 10.0, "drift error {worst:.1} ppm");
    // A play too short to show drift says nothing rather than a guess.
    let short = &refs[0].1[..RATE as usize * 3];
    let a = analyze_path(
        &to_f32(short),
        &to_f32(&drifted(short, 100.0, 400.0)),
        RATE,
        &AnalyzeOptions::default(),
    );
    assert!(a.delay.is_some());
    assert_eq!(a.delay.unwrap().drift_ppm, None);
}
