//! The reference library: the repository's audio-refs and generated tones.

use std::path::PathBuf;

use farend_audio::{AudioError, Pcm, RefLibrary, write_wav};
use farend_dsp::level::{active_level_dbov, rms_dbov};

fn repo_refs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../audio-refs")
}

#[test]
fn repository_references_match_their_manifest() {
    let lib = RefLibrary::open(repo_refs()).unwrap();
    let names = lib.names();
    for want in [
        "speech/en-f1",
        "speech/en-m1",
        "speech/en-f2",
        "speech/en-m2",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for name in names {
        let info = lib.info(name).unwrap();
        assert!(
            !info.licence.is_empty() && !info.source.is_empty() && !info.source_files.is_empty()
        );
        assert!(
            info.files.contains_key(&8000) && info.files.contains_key(&16000),
            "{name}"
        );
        assert!(
            (6.0..=12.0).contains(&info.duration_s),
            "{name}: {} s",
            info.duration_s
        );
        for rate in [8000, 16000] {
            let pcm = lib.load(name, rate).unwrap();
            assert_eq!(pcm.rate, rate);
            assert!(
                (pcm.duration_s() - info.duration_s).abs() < 0.01,
                "{name} @ {rate}"
            );
            let level = active_level_dbov(&pcm.to_f32(), rate).unwrap();
            assert!(
                (level.level_dbov - info.active_level_dbov).abs() < 0.1,
                "{name} @ {rate}: measured {} dBov, manifest {}",
                level.level_dbov,
                info.active_level_dbov
            );
            assert!((level.level_dbov + 26.0).abs() < 0.5);
            assert!(level.activity > 0.5 && level.activity < 0.99);
        }
    }
}

#[test]
fn other_rates_are_resampled_from_the_nearest_file() {
    let lib = RefLibrary::open(repo_refs()).unwrap();
    let info = lib.info("speech/en-f1").unwrap().clone();
    let at48 = lib.load("speech/en-f1", 48000).unwrap();
    assert_eq!(at48.rate, 48000);
    assert!((at48.duration_s() - info.duration_s).abs() < 0.01);
    let a = active_level_dbov(&at48.to_f32(), 48000).unwrap();
    assert!(
        (a.level_dbov - info.active_level_dbov).abs() < 0.3,
        "{}",
        a.level_dbov
    );
}

#[test]
fn generated_tones() {
    let lib = RefLibrary::open(repo_refs()).unwrap();
    assert!(lib.contains("tones/1000hz"));
    assert!(lib.contains("tones/dtmf-123#"));
    assert!(lib.contains("speech/en-f1"));
    assert!(!lib.contains("speech/nope"));
    assert!(!lib.contains("tones/dtmf-12x"));
    assert!(lib.info("tones/1000hz").is_none());

    let tone = lib.load("tones/1000hz", 8000).unwrap();
    assert_eq!(tone.samples.len(), 16000);
    assert!((rms_dbov(&tone.to_f32()) + 16.0).abs() < 0.05);
    let tone = lib.load("tones/425hz", 16000).unwrap();
    assert_eq!(tone.samples.len(), 32000);
    assert!(matches!(
        lib.load("tones/5000hz", 8000),
        Err(AudioError::Generate { .. })
    ));

    let dtmf = lib.load("tones/dtmf-159", 8000).unwrap();
    // 200 ms lead + 3 × (100 ms tone + 100 ms pause).
    assert_eq!(dtmf.samples.len(), 8000 * 800 / 1000);
    assert!(dtmf.samples[..1600].iter().all(|&s| s == 0));
    assert!(dtmf.samples[1600..2400].iter().any(|&s| s != 0));
    for rate in [8000, 16000] {
        let dtmf = lib.load("tones/dtmf-0123456789*#ABCD", rate).unwrap();
        let found = farend_dsp::dtmf::detect_dtmf_i16(&dtmf.samples, rate);
        assert_eq!(found.digits, "0123456789*#ABCD", "at {rate} Hz");
    }
}

#[test]
fn unknown_names_list_the_known_ones() {
    let lib = RefLibrary::open(repo_refs()).unwrap();
    let err = lib.load("speech/en-x9", 8000).unwrap_err().to_string();
    assert!(
        err.contains("speech/en-x9") && err.contains("speech/en-f1"),
        "{err}"
    );
    assert!(lib.load("speech/en-f1", 0).is_err());
}

#[test]
fn library_in_a_folder_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("x")).unwrap();
    write_wav(dir.path().join("x/a.wav"), &Pcm::new(8000, vec![100; 800])).unwrap();
    std::fs::write(
        dir.path().join("manifest.toml"),
        "[[reference]]\nname = \"x/a\"\nfiles = { 8000 = \"x/a.wav\", 16000 = \"x/missing.wav\" }\n",
    )
    .unwrap();
    let lib = RefLibrary::open(dir.path()).unwrap();
    assert_eq!(lib.load("x/a", 8000).unwrap().samples.len(), 800);
    // 11025 Hz is nearer to 8000 than to 16000: resampled from the 8 kHz file.
    assert_eq!(lib.load("x/a", 11025).unwrap().rate, 11025);
    // The 16 kHz file is listed but missing: the error names it.
    let err = lib.load("x/a", 16000).unwrap_err().to_string();
    assert!(err.contains("missing.wav"), "{err}");

    // The rate of the file must match the manifest.
    std::fs::write(
        dir.path().join("manifest.toml"),
        "[[reference]]\nname = \"x/a\"\nfiles = { 16000 = \"x/a.wav\" }\n",
    )
    .unwrap();
    let err = RefLibrary::open(dir.path())
        .unwrap()
        .load("x/a", 16000)
        .unwrap_err();
    assert!(matches!(err, AudioError::Manifest { .. }), "{err}");

    // No manifest: the error names the file.
    let empty = tempfile::tempdir().unwrap();
    let err = RefLibrary::open(empty.path()).unwrap_err().to_string();
    assert!(err.contains("manifest.toml"), "{err}");
}

#[test]
fn delay_of_real_speech_through_a_filter_and_noise() {
    let lib = RefLibrary::open(repo_refs()).unwrap();
    for name in [
        "speech/en-f1",
        "speech/en-m1",
        "speech/en-f2",
        "speech/en-m2",
    ] {
        let x = lib.load(name, 8000).unwrap().to_f32();
        let d = 1234;
        // Recording: 3-tap lowpass (one sample of group delay), `d` samples later, with
        // deterministic noise about 30 dB below the speech.
        let mut y = vec![0.0f32; x.len() + 2 * d];
        let mut seed = 12345u64;
        for (i, v) in y.iter_mut().enumerate() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *v = ((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.003;
            if i >= d {
                let j = i - d;
                let at = |k: usize| if k < x.len() { x[k] } else { 0.0 };
                let prev = |k: usize, back: usize| if k >= back { at(k - back) } else { 0.0 };
                *v += 0.25 * at(j) + 0.5 * prev(j, 1) + 0.25 * prev(j, 2);
            }
        }
        let est = farend_dsp::delay::estimate_delay(&x, &y, 8000, 0.5).unwrap();
        assert_eq!(est.samples, d as i64 + 1, "{name}");
        assert!(
            (est.ms - (d as f64 + 1.0) / 8.0).abs() < 0.05,
            "{name}: {}",
            est.ms
        );
        assert!(est.correlation > 0.8, "{name}: {}", est.correlation);
    }
}
