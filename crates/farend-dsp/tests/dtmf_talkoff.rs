//! Talk-off: no false digits on long speech and music-like material.
//!
//! SpanDSP's receiver gives 0 false digits on both corpora (measured with
//! `scripts/dsp/compare_spandsp.sh`, which runs it side by side on the same audio), so the
//! bar here is 0 as well.

mod dtmf_corpus;

use farend_dsp::dtmf::detect_dtmf;

#[test]
fn speech_gives_no_digits() {
    let files = dtmf_corpus::speech_files();
    if files.is_empty() {
        let msg = "no Debian speech recordings (asterisk-core-sounds-en-wav, codec2-examples)";
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        println!("skipped: {msg}");
        return;
    }
    let mut all = Vec::new();
    for f in &files {
        all.extend_from_slice(f);
        all.extend(std::iter::repeat_n(0.0f32, 2400));
    }
    let minutes = all.len() as f64 / 8000.0 / 60.0;
    assert!(minutes >= 10.0, "only {minutes:.1} min of speech");
    let r = detect_dtmf(&all, 8000);
    println!(
        "speech: {minutes:.1} min, {} false digits {:?}",
        r.digits.len(),
        r.digits
    );
    assert!(
        r.digits.is_empty(),
        "SpanDSP reports none here: {:?}",
        r.events
    );
    // Louder (saturated) speech as well.
    let loud: Vec<f32> = all.iter().map(|&v| (v * 1.78).clamp(-1.0, 1.0)).collect();
    let r = detect_dtmf(&loud, 8000);
    println!("speech +5 dB: {} false digits", r.digits.len());
    assert!(
        r.digits.is_empty(),
        "SpanDSP reports none here: {:?}",
        r.events
    );
}

#[test]
fn music_gives_no_digits() {
    let x = dtmf_corpus::music_corpus();
    let r = detect_dtmf(&x, 8000);
    println!(
        "music: {:.1} min, {} false digits",
        x.len() as f64 / 480000.0,
        r.digits.len()
    );
    assert!(
        r.digits.is_empty(),
        "SpanDSP reports none here: {:?}",
        r.events
    );
}

#[test]
fn digits_inside_speech_are_still_found() {
    // DTMF over quiet speech (about 20 dB below the tones) is still received.
    let files = dtmf_corpus::speech_files();
    let speech: Vec<f32> = files.iter().flatten().copied().take(8000 * 5).collect();
    let tones = farend_dsp::dtmf::generate_dtmf("24680*#", 100, 100, -10.0, 8000).expect("valid");
    let n = tones.len().max(speech.len());
    let mix: Vec<f32> = (0..n)
        .map(|i| tones.get(i).copied().unwrap_or(0.0) + 0.1 * speech.get(i).copied().unwrap_or(0.0))
        .collect();
    assert_eq!(detect_dtmf(&mix, 8000).digits, "24680*#");
}
