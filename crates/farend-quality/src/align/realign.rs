//! Realignment of bad intervals (P.862 §10.1.3.4): where the perceptual model finds a run of
//! badly disturbed frames, the delay of that stretch is searched again by cross-correlating
//! it with the degraded signal, and the model is asked again with the new delay.

use farend_dsp::correlation::cross_correlation;

/// Frames whose symmetric disturbance exceeds this start a bad interval.
pub const BAD_FRAME_DISTURBANCE: f64 = 20.0;
/// Search range around the frame's delay: 300 ms.
pub const SEARCH_MS: usize = 300;

/// A degraded stretch holding less than this share of the energy of its reference stretch
/// (−20 dB), over the whole stretch or in nearly all of its short blocks, is not realigned: it
/// is a dropout, and what little it holds is the audio at the gap's edges or the input filter's
/// ringing, which correlates by chance with speech elsewhere. Without the whole-stretch test a
/// 60 ms dropout was matched to speech 224 ms away and lost about half its disturbance (mean
/// |ΔMOS| on the oracle corpus's zeroed-burst pairs 0.314 → 0.220 with it); the block test
/// catches the bad intervals that reach past a gap's edge (PROVENANCE.md).
const MIN_TEMPLATE_ENERGY: f64 = 0.01;
/// Length of the blocks in which a dropout is looked for: 4 ms.
const DROPOUT_BLOCK_MS: usize = 4;
/// Share of the blocks (where the reference carries audio) that must have dropped out. Half
/// caught more zeroed bursts but also stopped realignments of P.862 Annex A's variable-delay
/// pairs, whose inserted silences look the same for a while (PROVENANCE.md).
const DROPOUT_SHARE: f64 = 0.9;

/// Runs of consecutive bad frames, as frame ranges.
pub fn bad_intervals(symmetric: &[f64]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut n = 0;
    while n < symmetric.len() {
        if symmetric[n] <= BAD_FRAME_DISTURBANCE {
            n += 1;
            continue;
        }
        let start = n;
        while n < symmetric.len() && symmetric[n] > BAD_FRAME_DISTURBANCE {
            n += 1;
        }
        out.push(start..n);
    }
    out
}

/// New delay for reference samples `start..end`, whose degraded counterpart currently lies
/// `around` samples later: the degraded stretch at `around` is held fixed and the reference
/// within ±`search` of it is searched by cross-correlation. `None` when nothing correlates.
///
/// Holding the degraded stretch fixed, rather than the reference, means a stretch the
/// network silenced (lost packets, a muted gap) finds no new delay: a silent template
/// correlates with nothing, so the gap keeps its full disturbance instead of being matched to
/// neighbouring speech. Measured against the oracle on the 840 pairs of the oracle corpus
/// (see PROVENANCE.md): mean |ΔMOS| narrowband 0.133 → 0.111, wideband 0.127 → 0.116, while
/// delay jumps keep their realignment.
pub fn best_delay(
    reference: &[f64],
    degraded: &[f64],
    start: usize,
    end: usize,
    around: isize,
    search: usize,
    rate: u32,
) -> Option<isize> {
    let end = end.min(reference.len());
    if end <= start {
        return None;
    }
    let len = end - start;
    let template = stretch(degraded, start as isize + around, len);
    let block = (DROPOUT_BLOCK_MS * rate as usize / 1000).max(1);
    if is_dropout(&template, &stretch(reference, start as isize, len), block) {
        return None;
    }
    let window = stretch(
        reference,
        start as isize - search as isize,
        len + 2 * search,
    );
    // out[k]: the degraded template against the reference from `start - search + k`.
    let out = &cross_correlation(&template, &window)[..2 * search + 1];
    let (k, value) =
        out.iter().enumerate().fold(
            (0, f64::MIN),
            |best, (k, &v)| if v > best.1 { (k, v) } else { best },
        );
    (value > 0.0).then(|| around + search as isize - k as isize)
}

/// Whether `degraded` is a dropout of `reference`: it holds less than [`MIN_TEMPLATE_ENERGY`]
/// of the reference's energy overall, or in [`DROPOUT_SHARE`] of the blocks of `block` samples
/// where the reference carries audio.
fn is_dropout(degraded: &[f64], reference: &[f64], block: usize) -> bool {
    let total = energy(reference);
    // Blocks 30 dB under the reference's mean block carry no audio to lose.
    let quiet = 1e-3 * total * block as f64 / reference.len().max(1) as f64;
    let (mut active, mut lost) = (0usize, 0usize);
    for (d, r) in degraded.chunks(block).zip(reference.chunks(block)) {
        let reference_energy = energy(r);
        if reference_energy <= quiet {
            continue;
        }
        active += 1;
        if energy(d) < MIN_TEMPLATE_ENERGY * reference_energy {
            lost += 1;
        }
    }
    energy(degraded) < MIN_TEMPLATE_ENERGY * total
        || lost as f64 >= DROPOUT_SHARE * active.max(1) as f64
}

fn energy(signal: &[f64]) -> f64 {
    signal.iter().map(|v| v * v).sum()
}

/// `len` samples of `signal` from `from`, zero outside it.
fn stretch(signal: &[f64], from: isize, len: usize) -> Vec<f64> {
    (0..len)
        .map(|i| super::sample_or_zero(signal, from + i as isize))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise-like test signal.
    fn noise(len: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 2000.0
            })
            .collect()
    }

    #[test]
    fn a_stretch_that_moved_is_found_at_its_new_delay() {
        let reference = noise(8000, 7);
        // The degraded signal carries the reference 120 samples late from sample 4000 on,
        // 40 samples late before it.
        let mut degraded = vec![0.0; 8200];
        degraded[40..4040].copy_from_slice(&reference[..4000]);
        degraded[4120..8120].copy_from_slice(&reference[4000..]);
        assert_eq!(
            best_delay(&reference, &degraded, 5000, 5512, 40, 300, 8000),
            Some(120)
        );
    }

    #[test]
    fn a_silenced_stretch_finds_no_new_delay() {
        let reference = noise(8000, 11);
        let mut degraded = reference.clone();
        degraded[3000..3600].fill(0.0);
        assert_eq!(
            best_delay(&reference, &degraded, 3000, 3600, 0, 300, 8000),
            None
        );
    }

    #[test]
    fn a_stretch_that_is_a_gap_but_for_its_edge_finds_no_new_delay() {
        let reference = noise(8000, 17);
        let mut degraded = reference.clone();
        // 584 of the stretch's 600 samples lost: what is left is the audio after the gap.
        degraded[3000..3584].fill(0.0);
        assert_eq!(
            best_delay(&reference, &degraded, 3000, 3600, 0, 300, 8000),
            None
        );
    }

    #[test]
    fn a_stretch_holding_only_ringing_finds_no_new_delay() {
        let reference = noise(8000, 13);
        let mut degraded = reference.clone();
        // A dropout that still holds a trace (-40 dB) of the audio around it.
        for v in &mut degraded[3000..3600] {
            *v *= 0.01;
        }
        assert_eq!(
            best_delay(&reference, &degraded, 3000, 3600, 0, 300, 8000),
            None
        );
    }

    #[test]
    fn bad_intervals_are_runs_above_the_threshold() {
        let d = [0.0, 25.0, 30.0, 1.0, 50.0, 0.0];
        assert_eq!(bad_intervals(&d), vec![1..3, 4..5]);
    }
}
