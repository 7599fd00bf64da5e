//! WAV round trips and resampling quality.

use farend_audio::{AudioError, Pcm, read_wav, resample, write_wav};

fn tone(freq: f64, amp: f64, n: usize, rate: u32) -> Vec<f32> {
    (0..n)
        .map(|i| (amp * (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// Frequency from the zero crossings of the middle part of `x`.
fn zero_crossing_freq(x: &[f32], rate: u32) -> f64 {
    let x = &x[x.len() / 4..3 * x.len() / 4];
    let crossings: Vec<f64> = x
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
        .map(|(i, w)| i as f64 + f64::from(-w[0]) / f64::from(w[1] - w[0]))
        .collect();
    let periods = (crossings.len() - 1) as f64;
    f64::from(rate) * periods / (crossings[crossings.len() - 1] - crossings[0])
}

#[test]
fn wav_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.wav");
    let pcm = Pcm::new(8000, vec![0, 1, -1, 32767, -32768, 1234, -4321]);
    write_wav(&path, &pcm).unwrap();
    assert_eq!(read_wav(&path).unwrap(), pcm);
}

#[test]
fn reads_other_formats_and_mixes_stereo() {
    let dir = tempfile::tempdir().unwrap();
    // 24-bit stereo: left = 0.5, right = -0.25 full scale -> mean 0.125.
    let path = dir.path().join("s24.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for _ in 0..10 {
        w.write_sample(1i32 << 22).unwrap();
        w.write_sample(-(1i32 << 21)).unwrap();
    }
    w.finalize().unwrap();
    let pcm = read_wav(&path).unwrap();
    assert_eq!(pcm.rate, 48000);
    assert_eq!(pcm.samples, vec![4096; 10]);

    // 32-bit float mono.
    let path = dir.path().join("f32.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for v in [0.0f32, 0.5, -1.0, 2.0] {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    assert_eq!(
        read_wav(&path).unwrap().samples,
        vec![0, 16384, -32768, 32767]
    );

    // 8-bit unsigned.
    let path = dir.path().join("u8.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 8,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for v in [0i8, 64, -128] {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    assert_eq!(read_wav(&path).unwrap().samples, vec![0, 16384, -32768]);
}

#[test]
fn read_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.wav");
    let err = read_wav(&missing).unwrap_err();
    assert!(matches!(err, AudioError::Io { .. }));
    assert!(err.to_string().contains("missing.wav"), "{err}");
    let junk = dir.path().join("junk.wav");
    std::fs::write(&junk, b"this is not a wav file at all").unwrap();
    let err = read_wav(&junk).unwrap_err();
    assert!(err.to_string().contains("junk.wav"), "{err}");
}

#[test]
fn f32_conversion_rounds_and_clips() {
    let pcm = Pcm::from_f32(8000, &[0.0, 0.5, -0.5, 1.5, -1.5, f32::NAN]);
    assert_eq!(pcm.samples, vec![0, 16384, -16384, 32767, -32768, 0]);
    assert_eq!(pcm.to_f32()[1], 0.5);
    assert_eq!(Pcm::new(8000, vec![0; 4000]).duration().as_millis(), 500);
}

#[test]
fn resampling_keeps_frequency_and_level() {
    let amp = 0.5;
    for &(from, to) in &[
        (8000u32, 16000u32),
        (16000, 8000),
        (48000, 16000),
        (8000, 44100),
    ] {
        let x = Pcm::from_f32(from, &tone(1000.0, amp, from as usize, from));
        let y = resample(&x, to).unwrap();
        assert_eq!(y.rate, to);
        assert_eq!(y.samples.len(), to as usize, "{from}->{to}");
        let yf = y.to_f32();
        let f = zero_crossing_freq(&yf, to);
        assert!((f - 1000.0).abs() < 0.05, "{from}->{to}: {f} Hz");
        let mid = &yf[yf.len() / 4..3 * yf.len() / 4];
        let rms =
            (mid.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / mid.len() as f64).sqrt();
        let want = amp / 2f64.sqrt();
        let err_db = 20.0 * (rms / want).log10();
        assert!(
            err_db.abs() < 0.05,
            "{from}->{to}: level off by {err_db} dB"
        );
        // Time alignment: the resampled tone is in phase with the ideal one.
        let ideal = tone(1000.0, amp, to as usize, to);
        let max_err = mid
            .iter()
            .zip(&ideal[yf.len() / 4..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max_err < 0.01, "{from}->{to}: max error {max_err}");
    }
}

#[test]
fn downsampling_removes_content_above_the_new_nyquist() {
    // 6 kHz cannot exist at 8 kHz: it must be filtered out, not aliased to 2 kHz.
    let x = Pcm::from_f32(16000, &tone(6000.0, 0.5, 16000, 16000));
    let y = resample(&x, 8000).unwrap().to_f32();
    let mid = &y[2000..6000];
    let peak = mid.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak < 0.005, "alias peak {peak}");
}

#[test]
fn resample_edge_cases() {
    let x = Pcm::new(8000, vec![1, 2, 3]);
    assert_eq!(resample(&x, 8000).unwrap(), x);
    assert!(resample(&x, 0).is_err());
    assert!(resample(&Pcm::new(0, vec![1]), 8000).is_err());
    assert_eq!(
        resample(&Pcm::new(8000, vec![]), 16000)
            .unwrap()
            .samples
            .len(),
        0
    );
}
