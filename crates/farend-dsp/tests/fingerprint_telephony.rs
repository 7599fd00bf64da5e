//! Identification of 3 s speech queries through real telephony degradations: AMR-NB
//! 4.75 kbit/s (sox), frame loss concealed by the decoder, white noise at 10 dB SNR and
//! ±10 dB level changes, cut at random offsets; and no false match on speech that is not
//! in the index.

mod fingerprint_support;

use farend_dsp::fingerprint::identify;
use fingerprint_support::{RATE, Rng, gain, material, tools_or_skip};

const QUERY_S: usize = 3;

struct Outcome {
    queries: usize,
    identified: usize,
    wrong: usize,
    offset_errors_ms: Vec<f64>,
}

/// Cuts `n` 3 s queries at random offsets from the indexed references in `degraded`, and
/// counts those identified as the right reference with the offset within ±10 ms.
fn run_queries(degraded: &[i16], n: usize, seed: u64) -> Outcome {
    let m = material();
    let mut rng = Rng(seed);
    let len = QUERY_S * RATE as usize;
    let mut out = Outcome {
        queries: 0,
        identified: 0,
        wrong: 0,
        offset_errors_ms: Vec::new(),
    };
    let mut worst = Vec::new();
    for _ in 0..n {
        let (name, a, b) = &m.indexed.parts[rng.below(m.indexed.parts.len())];
        let off = rng.below(b - a - len);
        let start = a + off + m.codec_delay.max(0) as usize;
        let Some(cut) = degraded.get(start..start + len) else {
            continue;
        };
        let db = if rng.unit() < 0.5 { -10.0 } else { 10.0 };
        let id = identify(&m.index, &gain(cut, db), RATE);
        out.queries += 1;
        worst.push(id.worst_third_ber);
        let truth_ms = (off as f64 + m.codec_delay.max(0) as f64 - m.codec_delay as f64) * 1000.0
            / f64::from(RATE);
        match (&id.matched, id.offset_ms) {
            (Some(got), Some(ms)) if got == name => {
                let err = ms - truth_ms;
                out.offset_errors_ms.push(err);
                if err.abs() <= 10.0 {
                    out.identified += 1;
                } else {
                    eprintln!(
                        "{name} at {truth_ms:.1} ms: offset {ms:.1} ms (ber {:.3})",
                        id.ber
                    );
                }
            }
            (Some(got), _) => {
                out.wrong += 1;
                eprintln!(
                    "{name} at {truth_ms:.1} ms: WRONG {got} (ber {:.3})",
                    id.ber
                );
            }
            _ => eprintln!(
                "{name} at {truth_ms:.1} ms ({db:+} dB): missed (ber {:.3}, nearest {:?})",
                id.ber, id.nearest
            ),
        }
    }
    worst.sort_by(f64::total_cmp);
    eprintln!(
        "worst third BER: median {:.3}, 99th percentile {:.3}, max {:.3}",
        worst[worst.len() / 2],
        worst[worst.len() * 99 / 100],
        worst[worst.len() - 1]
    );
    let mut abs: Vec<f64> = out.offset_errors_ms.iter().map(|e| e.abs()).collect();
    abs.sort_by(f64::total_cmp);
    eprintln!(
        "{} of {} identified within ±10 ms ({:.1} %), {} wrong; offset error median {:.2} ms, max {:.2} ms",
        out.identified,
        out.queries,
        100.0 * out.identified as f64 / out.queries.max(1) as f64,
        out.wrong,
        abs.get(abs.len() / 2).copied().unwrap_or(f64::NAN),
        abs.last().copied().unwrap_or(f64::NAN),
    );
    out
}

#[test]
fn amr_475_with_3_percent_loss_noise_and_level_changes_identifies_99_percent() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let out = run_queries(&material().idx_loss3, 400, 11);
    assert!(out.queries >= 390);
    assert_eq!(out.wrong, 0, "queries identified as another reference");
    assert!(
        out.identified * 100 >= out.queries * 99,
        "{} of {} identified",
        out.identified,
        out.queries
    );
}

#[test]
fn amr_475_with_10_percent_bursty_loss_identifies_95_percent() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let out = run_queries(&material().idx_burst10, 300, 12);
    assert!(out.queries >= 290);
    assert_eq!(out.wrong, 0, "queries identified as another reference");
    assert!(
        out.identified * 100 >= out.queries * 95,
        "{} of {} identified",
        out.identified,
        out.queries
    );
}

#[test]
fn speech_not_in_the_index_never_matches() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let m = material();
    let mut rng = Rng(13);
    let len = QUERY_S * RATE as usize;
    let x = &m.unidx_loss3;
    let mut bers = Vec::new();
    let mut false_matches = Vec::new();
    let mut largest_margin: f64 = 0.0;
    for _ in 0..3000 {
        let off = rng.below(x.len() - len);
        let db = rng.unit() * 20.0 - 10.0;
        let id = identify(&m.index, &gain(&x[off..off + len], db), RATE);
        bers.push(id.ber);
        largest_margin = largest_margin.max(id.margin_sigmas);
        if id.ber < 0.37 {
            eprintln!(
                "close: ber {:.3}, worst third {:.3}, nearest {:?}",
                id.ber, id.worst_third_ber, id.nearest
            );
        }
        if let Some(name) = id.matched {
            false_matches.push((
                off,
                name,
                id.ber,
                id.worst_third_ber,
                id.margin_sigmas,
                id.matched_fraction,
            ));
        }
    }
    bers.sort_by(f64::total_cmp);
    eprintln!(
        "3000 unindexed queries: lowest BER {:.3}, 1st percentile {:.3}, median {:.3}, largest margin {largest_margin:.1}σ; {} false matches",
        bers[0],
        bers[30],
        bers[1500],
        false_matches.len()
    );
    assert!(false_matches.is_empty(), "false matches: {false_matches:?}");
}
