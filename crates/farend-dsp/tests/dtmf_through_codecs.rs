//! DTMF through every speech codec and mode of farend-codec (G.711, GSM-FR, AMR-NB, AMR-WB,
//! Opus) across Q.24's level range: the 16 digits at 100 ms / 100 ms come back exactly, and
//! where a codec destroys tones nothing false is reported.
//!
//! `scripts/dsp/dtmf_codecs.sh` runs SpanDSP's receiver on the same decoded audio; where
//! SpanDSP decodes the string exactly, so does farend. The exceptions below are the
//! conditions where neither decodes every digit: AMR-NB 5.15 kbit/s, AMR-WB 6.60 kbit/s,
//! and AMR-WB at 0 dBm0 per tone (+3 dBm0 for the pair), which its encoder overloads.

#[path = "dtmf_codec_support/mod.rs"]
mod codecs;

use farend_dsp::dtmf::{detect_dtmf, generate_dtmf};
use farend_dsp::tone::dbm0_to_dbov;

const SENT: &str = "147*2580#369ABCD";

/// Whether every digit of `got` was sent, in the order sent (no false or repeated digit).
fn is_subsequence(got: &str, sent: &str) -> bool {
    let mut rest = sent.chars();
    got.chars().all(|g| rest.by_ref().any(|s| s == g))
}

fn exact_expected(codec: &str, level: i32) -> bool {
    !(codec == "amr-nb:5.15"
        || codec == "amr-wb:6.60"
        || (codec.starts_with("amr-wb") && level == 0))
}

#[test]
fn every_codec_and_level_gives_the_string_or_nothing_false() {
    let mut problems = Vec::new();
    for level in codecs::LEVELS_DBM0 {
        let tones = generate_dtmf(SENT, 100, 100, dbm0_to_dbov(f64::from(level)), 8000).unwrap();
        let mut x = vec![0.0f32; 2400];
        x.extend(tones);
        x.extend(std::iter::repeat_n(0.0f32, 2400));
        for codec in codecs::CODECS {
            let y = codecs::through_codec(codec, &x).unwrap_or_else(|e| panic!("{e}"));
            let got = detect_dtmf(&y, 8000).digits;
            let ok = if exact_expected(codec, level) {
                got == SENT
            } else {
                is_subsequence(&got, SENT)
            };
            if !ok {
                problems.push(format!("{codec} at {level} dBm0: {got:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_subsequence_rule_rejects_false_and_repeated_digits() {
    assert!(is_subsequence("17*0D", SENT));
    assert!(!is_subsequence("1447", SENT));
    assert!(!is_subsequence("5", "147"));
}
