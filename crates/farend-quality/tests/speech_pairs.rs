//! Known MOS-LQO values of the python-pesq speech pair (clean vs babble at 0 dB SNR).
//!
//! Each test prints farend's score beside the published one and asserts a regression bound
//! at today's agreement (NB −0.14, WB Corrigendum 2 −0.08, WB 2005 −0.005), to be tightened
//! as the scorer improves. The narrowband bound was 0.12 (−0.115) until the narrowband
//! scales moved along the ridge that brought the oracle corpus and a probe of unscanned
//! speech closer (PROVENANCE.md, "Narrowband scales on the same ridge"): babble at 0 dB is
//! charged a little more since (−0.143).

mod common;

use farend_quality::{Band, ScoreOptions, WidebandVersion, score_i16};

/// Regression bound, narrowband.
const NB_BOUND: f64 = 0.15;
/// Regression bound, wideband with Corrigendum 2.
const WB_COR2_BOUND: f64 = 0.12;
/// Regression bound, wideband as published in 2005.
const WB_2005_BOUND: f64 = 0.05;

fn pair() -> Option<(u32, Vec<i16>, Vec<i16>)> {
    let dir = common::refs_dir()?.join("speech-pairs");
    let (rate, r) = common::read_wav(&dir.join("pesq-speech.wav"));
    let (rate2, d) = common::read_wav(&dir.join("pesq-speech_bab_0dB.wav"));
    assert_eq!(rate, rate2);
    Some((rate, r, d))
}

#[test]
fn narrowband_mos_lqo() {
    let Some((rate, r, d)) = pair() else { return };
    let s = score_i16(&r, &d, rate, &ScoreOptions::new(Band::Narrow)).expect("score");
    println!("NB MOS-LQO {:.7} (published 1.6072081)", s.mos_lqo);
    assert!((s.mos_lqo - 1.6072081).abs() <= NB_BOUND, "{}", s.mos_lqo);
    assert_eq!(s.band, Band::Narrow);
    assert_eq!(s.processed_rate, 16000);
    assert!(s.resampled_from.is_none());
}

#[test]
fn wideband_2005_mos_lqo() {
    let Some((rate, r, d)) = pair() else { return };
    let mut opts = ScoreOptions::new(Band::Wide);
    opts.wideband_version = WidebandVersion::P862_2_2005;
    let s = score_i16(&r, &d, rate, &opts).expect("score");
    println!("WB 2005 MOS-LQO {:.7} (published 1.0832337)", s.mos_lqo);
    assert!(
        (s.mos_lqo - 1.0832337).abs() <= WB_2005_BOUND,
        "{}",
        s.mos_lqo
    );
    assert!(s.standard.contains("2005"), "{}", s.standard);
}

#[test]
fn wideband_corrigendum2_mos_lqo_is_the_default() {
    let Some((rate, r, d)) = pair() else { return };
    let s = score_i16(&r, &d, rate, &ScoreOptions::new(Band::Wide)).expect("score");
    println!("WB Cor.2 MOS-LQO {:.7} (published 1.5128042)", s.mos_lqo);
    assert!(
        (s.mos_lqo - 1.5128042).abs() <= WB_COR2_BOUND,
        "{}",
        s.mos_lqo
    );
    assert!(s.standard.contains("Corrigendum 2"), "{}", s.standard);
}
