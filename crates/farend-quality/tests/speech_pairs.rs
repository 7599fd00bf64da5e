//! Known MOS-LQO values of the python-pesq speech pair (clean vs babble at 0 dB SNR).

mod common;

use farend_quality::{Band, ScoreOptions, WidebandVersion, score_i16};

const BAR: f64 = 0.001;

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
    assert!((s.mos_lqo - 1.6072081).abs() <= BAR, "{}", s.mos_lqo);
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
    assert!((s.mos_lqo - 1.0832337).abs() <= BAR, "{}", s.mos_lqo);
    assert!(s.standard.contains("2005"), "{}", s.standard);
}

#[test]
fn wideband_corrigendum2_mos_lqo_is_the_default() {
    let Some((rate, r, d)) = pair() else { return };
    let s = score_i16(&r, &d, rate, &ScoreOptions::new(Band::Wide)).expect("score");
    println!("WB Cor.2 MOS-LQO {:.7} (published 1.5128042)", s.mos_lqo);
    assert!((s.mos_lqo - 1.5128042).abs() <= BAR, "{}", s.mos_lqo);
    assert!(s.standard.contains("Corrigendum 2"), "{}", s.standard);
}
