//! Utterance splitting (P.862 §10.1.3.3; Rix et al., Part I, §3.4): where the delay changes
//! inside an utterance, the utterance is cut in two at the point where the two parts align
//! with the most confidence, provided each part is more confident than the whole and their
//! delays differ. The boundary is then moved to where the two delays explain the signals
//! best. Parts are split again in the same way.

use super::envelope::LagSums;
use super::refine::FineDelay;
use super::{Envelopes, FarDelay, Utterance};

/// Shortest part a split may leave: 200 ms.
const MIN_PART_MS: usize = 200;
/// Split points are tried on this grid: 20 ms.
const STEP_MS: usize = 20;
/// Delays closer than this are the same delay: 1 ms... (of the sample rate).
const SAME_DELAY_MS: f64 = 1.0;
/// How often a part may be split again (PROVENANCE.md, "How often a part is split again").
const MAX_DEPTH: usize = 5;

/// The two signals being aligned (level-aligned and filtered).
#[derive(Clone, Copy)]
pub(crate) struct Signals<'a> {
    /// The reference.
    pub reference: &'a [f64],
    /// The degraded signal.
    pub degraded: &'a [f64],
}

/// Everything a split search needs besides the utterance: both signals, their envelopes,
/// the window-vote delay finder, and the search range.
pub(crate) struct Splitter<'a, 'f> {
    /// Envelopes of both signals.
    pub env: &'a Envelopes,
    /// Both signals.
    pub signals: Signals<'a>,
    /// Window votes for the delay of a stretch.
    pub fine: &'f mut FineDelay<'a>,
    /// Envelope search range either side of an utterance's delay, in blocks.
    pub search: isize,
    /// Wider envelope search range, tried as well, in blocks.
    pub wide: isize,
    /// Sample rate.
    pub rate: u32,
}

impl Splitter<'_, '_> {
    /// Splits `u` where a delay change inside it is found; returns the parts in order.
    pub(crate) fn split(&mut self, u: Utterance) -> Vec<Utterance> {
        let mut out = Vec::new();
        self.split_into(u, 0, &mut out);
        out
    }

    fn min_part(&self) -> usize {
        MIN_PART_MS * self.rate as usize / 1000
    }

    fn split_into(&mut self, u: Utterance, depth: usize, out: &mut Vec<Utterance>) {
        if depth >= MAX_DEPTH {
            out.push(u);
            return;
        }
        match self.best_split(&u) {
            Some((a, b)) => {
                let min_part = self.min_part();
                let (a, mut b) = refined_boundary(self.signals, a, b, min_part, self.rate);
                // The second part ends where the whole did, and keeps what was inserted there.
                b.inserted = u.inserted;
                let (a, b) = grown_delay_boundary(a, b, min_part);
                self.split_into(a, depth + 1, out);
                self.split_into(b, depth + 1, out);
            }
            None => out.push(u),
        }
    }

    /// The best split of `u`, if any split is better than the whole.
    fn best_split(&mut self, u: &Utterance) -> Option<(Utterance, Utterance)> {
        let env = self.env;
        let block = env.block;
        let min_part = self.min_part();
        let step = (STEP_MS * self.rate as usize / 1000).max(block);
        if u.end - u.start < 2 * min_part {
            return None;
        }
        let around = u.delay / block as isize;
        let lags = around - self.wide..=around + self.wide;
        let near = around - self.search..=around + self.search;
        let same = (SAME_DELAY_MS * self.rate as f64 / 1000.0) as isize;
        // The first part only grows from one split point to the next: its envelope sums are
        // extended rather than computed again.
        let mut first_sums = LagSums::new(u.start / block, lags.clone());
        let mut whole_sums = LagSums::new(u.start / block, lags.clone());
        whole_sums.extend(&env.reference, &env.degraded, blocks_to(env, u.end));
        let mut best: Option<(f64, Utterance, Utterance)> = None;
        // Last grid point of the run of points that split as well as the best, with the same
        // delays: in a pause both parts align perfectly from its start to its end.
        let mut tied_until = 0;
        let mut point = u.start + min_part;
        while point + min_part <= u.end {
            first_sums.extend(&env.reference, &env.degraded, blocks_to(env, point));
            let a = part(
                self.fine,
                (&first_sums, &first_sums),
                (around, &near),
                block,
                u.start..point,
            );
            let best_confidence = best.as_ref().map_or(u.confidence, |(c, _, _)| *c);
            let extends_tie = best.as_ref().is_some_and(|(_, a0, _)| {
                tied_until + step == point && a.as_ref().is_some_and(|a| a.delay == a0.delay)
            });
            // Only a first part at least as confident as the best split so far can make this
            // split the best or extend its tie: otherwise the second part need not be aligned.
            let Some(a) = a.filter(|a| {
                a.confidence > best_confidence || (extends_tie && a.confidence >= best_confidence)
            }) else {
                point += step;
                continue;
            };
            // The second part's near sums are summed afresh, as the first's are, so that its
            // near delay does not hang on rounding; its far sums, only a candidate that must
            // win clearly, are the whole's less the first part's.
            let mut second_sums = LagSums::new(point / block, near.clone());
            second_sums.extend(&env.reference, &env.degraded, blocks_to(env, u.end));
            let second_wide = whole_sums.rest_after(&first_sums);
            if let Some(b) = part(
                self.fine,
                (&second_sums, &second_wide),
                (around, &near),
                block,
                point..u.end,
            ) && b.confidence > u.confidence
                && (a.delay - b.delay).abs() > same
            {
                let combined = a.confidence.min(b.confidence);
                if combined > best_confidence {
                    best = Some((combined, a, b));
                    tied_until = point;
                } else if extends_tie
                    && combined >= best_confidence
                    && best.as_ref().is_some_and(|(_, _, b0)| b0.delay == b.delay)
                {
                    tied_until = point;
                }
            }
            point += step;
        }
        // The split goes mid-way through a tied run, not at its first point: the first lay up
        // to a second before a delay change in a long pause, out of the boundary's reach.
        // 450 ms of silence inserted in a pause of the oracle corpus's references: mean
        // |ΔMOS| against the oracle 0.46 → 0.15 (8 kHz narrowband; PROVENANCE.md).
        best.map(|(_, mut a, mut b)| {
            let middle = (a.end + tied_until) / 2;
            a.end = middle;
            b.start = middle;
            (a, b)
        })
    }
}

/// How far either side of the trial split point the boundary is looked for: 250 ms.
const BOUNDARY_SEARCH_MS: usize = 250;
/// How far a part's delay may be off where the boundary is judged: 2 ms either side.
const BOUNDARY_DELAY_TOLERANCE_MS: usize = 2;

/// Moves the boundary between two parts to where their delays explain the signals best: the
/// envelope block (4 ms) at which the squared difference from the degraded signal, under the
/// first part's delay before it and the second's after it, adds up least. Each block is
/// judged at the best delay within 2 ms of its part's.
///
/// The split search finds the point where both parts are most confident on a 20 ms grid,
/// which lands 0.1–0.3 s from where the delay changes when one part holds the transition's
/// windows (P.862 Annex A `u_am1s01b1c15`, 16 kHz: 1.22 s for a change near 0.9 s). With the
/// boundary refined (and inserted stretches kept out of bad-interval realignment, see
/// `pipeline::inserted_stretches`): Annex A mean |Δraw| 0.258 → 0.247 (8 kHz) and 0.288 →
/// 0.294 (16 kHz); oracle corpus mean |ΔMOS| nb8 0.091 → 0.089 (largest 0.90 → 0.68), nb16
/// 0.100 → 0.099, wb Cor.2 0.100 → 0.101, wb 2005 0.128 → 0.130 (PROVENANCE.md).
///
/// A part's delay is the peak of its window votes, which is a millisecond or two off where
/// the delay drifts inside the part; judged at that delay exactly, the waveforms of the
/// stretch next to the change no longer match (a 2 ms error at 8 kHz decorrelates speech)
/// and the boundary moved away from the change (Annex A `u_am1s01b2c1`, 8 kHz: to 1.28 s for
/// a cut near 1.14 s, part delay −20.1 ms where the stretch after the cut lies at −18.2 ms).
/// With the tolerance: Annex A mean |Δraw| of the variable-delay pairs 0.309 → 0.249 (8 kHz)
/// and 0.385 → 0.339 (16 kHz); the oracle corpus within ±0.001 mean |ΔMOS| in every group
/// (PROVENANCE.md).
fn refined_boundary(
    signals: Signals,
    mut first: Utterance,
    mut second: Utterance,
    min_part: usize,
    rate: u32,
) -> (Utterance, Utterance) {
    let radius = BOUNDARY_SEARCH_MS * rate as usize / 1000;
    let point = second.start;
    let low = (first.start + min_part).max(point.saturating_sub(radius));
    let high = second.end.saturating_sub(min_part).min(point + radius);
    if high <= low {
        return (first, second);
    }
    let block = super::block_len(rate);
    let tolerance = (BOUNDARY_DELAY_TOLERANCE_MS * rate as usize / 1000) as isize;
    let starts: Vec<usize> = (low..high).step_by(block).collect();
    let errors = |delay: isize| -> Vec<f64> {
        starts
            .iter()
            .map(|&n| {
                let samples = n..(n + block).min(high);
                (delay - tolerance..=delay + tolerance)
                    .map(|lag| block_error(signals, samples.clone(), lag))
                    .fold(f64::MAX, f64::min)
            })
            .collect()
    };
    let (under_first, under_second) = (errors(first.delay), errors(second.delay));
    // Cost of the boundary at `low`: everything under the second delay; moving it one block
    // later trades that block's second-delay error for its first-delay error.
    let mut cost: f64 = under_second.iter().sum();
    let mut best = (cost, low);
    for (k, &n) in starts.iter().enumerate() {
        cost += under_first[k] - under_second[k];
        if cost < best.0 {
            best = (cost, (n + block).min(high));
        }
    }
    first.end = best.1;
    second.start = best.1;
    (first, second)
}

/// Squared difference between the reference samples `samples` and the degraded signal
/// `delay` samples later (zero outside it).
fn block_error(signals: Signals, samples: std::ops::Range<usize>, delay: isize) -> f64 {
    samples
        .map(|n| {
            let e =
                signals.reference[n] - super::sample_or_zero(signals.degraded, n as isize + delay);
            e * e
        })
        .sum()
}

/// Where the delay grows by `J` at a split (the network inserted `J` of audio, usually
/// silence), the first part keeps its delay for `J` more of the reference: that stretch of
/// the reference is compared with what was inserted in its place, as a listener hears it.
///
/// The text leaves open which reference samples take which delay around a split; this
/// follows the oracle, measured: a 120 ms silence inserted at stepped points of or105's
/// first utterance (8 kHz) costs 0.5–1.3 MOS there, as a 120 ms dropout does, while a split
/// at the insertion point costs almost nothing. With the boundary moved, the oracle corpus's
/// inserted-silence pairs (`jump+`) went from +0.33 to +0.08 mean ΔMOS (narrowband) and
/// +0.26 to +0.06 (wideband), and P.862 Annex A mean |Δraw| from 0.275 to 0.267 (8 kHz) and
/// 0.277 to 0.260 (16 kHz) (PROVENANCE.md).
fn grown_delay_boundary(
    mut first: Utterance,
    mut second: Utterance,
    min_part: usize,
) -> (Utterance, Utterance) {
    let growth = second.delay - first.delay;
    if growth > 0 {
        let shift = (growth as usize).min((second.end - second.start).saturating_sub(min_part));
        first.end += shift;
        second.start += shift;
        first.inserted = shift;
        second.inserted = second.inserted.min(second.end - second.start);
    }
    (first, second)
}

/// End (exclusive, in envelope blocks) of the span of reference samples ending at `end`.
fn blocks_to(env: &Envelopes, end: usize) -> usize {
    end.div_ceil(env.block).min(env.reference.len())
}

/// The reference samples `span` aligned: window votes around the envelope delay of the span
/// alone within the near range (`sums.0`) and around the whole utterance's delay (`around`,
/// blocks), whichever is the more confident, or around the span's envelope delay beyond the
/// near range (`sums.1`) when that is clearly more confident; `None` when no window votes.
///
/// The far candidate lets a split follow a delay change larger than the near range inside
/// an utterance (silence inserted in a short pause): 450 ms inserted in a pause of the
/// oracle corpus's references, mean |ΔMOS| against the oracle 0.34 → 0.15 (8 kHz
/// narrowband); Annex A mean |Δraw| 0.218 → 0.216 (8 kHz), 0.258 → 0.254 (16 kHz).
///
/// The envelope delay of a short part is often wrong (its few blocks correlate best with
/// some loud stretch elsewhere), while its true delay usually lies near the whole
/// utterance's. Trying both: P.862 Annex A mean |Δraw| 0.285 → 0.258 (8 kHz) and 0.289 →
/// 0.288 (16 kHz), the oracle corpus's mean |ΔMOS| equal or lower in every group
/// (PROVENANCE.md).
fn part(
    fine: &mut FineDelay,
    (near_sums, wide_sums): (&LagSums, &LagSums),
    (around, near): (isize, &std::ops::RangeInclusive<isize>),
    block: usize,
    span: std::ops::Range<usize>,
) -> Option<Utterance> {
    let (start, end) = (span.start, span.end);
    let mut aligned_at = |coarse_blocks: isize| {
        let coarse = coarse_blocks * block as isize;
        fine.lag(start, end, coarse)
            .map(|(lag, confidence)| Utterance {
                start,
                end,
                delay: coarse + lag,
                confidence,
                inserted: 0,
            })
    };
    let own = near_sums
        .best_within(near.clone())
        .map_or(around, |(lag, _)| lag);
    let mut best = aligned_at(own);
    if own != around
        && let Some(u) = aligned_at(around)
        && best.as_ref().is_none_or(|b| u.confidence > b.confidence)
    {
        best = Some(u);
    }
    // A delay beyond the near range must win clearly (see `super::align_span`).
    let near_confidence = best.as_ref().map(|b| b.confidence);
    if FarDelay::PART.may_win(near_confidence)
        && let Some((far, _)) = wide_sums.best()
        && !near.contains(&far)
        && let Some(u) = aligned_at(far)
        && FarDelay::PART.wins(near_confidence, u.confidence)
    {
        best = Some(u);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: usize, end: usize, delay: isize) -> Utterance {
        Utterance {
            start,
            end,
            delay,
            confidence: 1.0,
            inserted: 0,
        }
    }

    /// A noise-like reference and a degraded copy with `inserted` zeros at sample `at`.
    fn inserted_at(at: usize, inserted: usize) -> (Vec<f64>, Vec<f64>) {
        let reference: Vec<f64> = (0..16000u64)
            .map(|n| ((n.wrapping_mul(2_654_435_761) >> 7) % 2001) as f64 - 1000.0)
            .collect();
        let mut degraded = reference[..at].to_vec();
        degraded.extend(std::iter::repeat_n(0.0, inserted));
        degraded.extend_from_slice(&reference[at..]);
        (reference, degraded)
    }

    /// Boundary found between a part at delay 0 and one at `second_delay`, the split search
    /// having put it 140 ms early, for 480 samples inserted at sample 7300.
    fn refined_boundary_for(second_delay: isize) -> (usize, usize) {
        let (reference, degraded) = inserted_at(7300, 480);
        let signals = Signals {
            reference: &reference,
            degraded: &degraded,
        };
        let (a, b) = refined_boundary(
            signals,
            part(0, 6180, 0),
            part(6180, 16000, second_delay),
            1600,
            8000,
        );
        (a.end, b.start)
    }

    #[test]
    fn the_refined_boundary_lies_where_the_delay_changes() {
        let (end, start) = refined_boundary_for(480);
        assert_eq!(end, start);
        // Within one 4 ms block of the change.
        assert!(end.abs_diff(7300) < 32, "boundary at {end}");
    }

    #[test]
    fn the_refined_boundary_holds_when_a_part_delay_is_slightly_off() {
        // The second part's window votes peaked 12 samples (1.5 ms) from its true delay:
        // judged at that delay exactly, nothing after the change matches and the boundary
        // ran to the end of the search range.
        let (end, _) = refined_boundary_for(492);
        assert!(end.abs_diff(7300) < 32, "boundary at {end}");
    }

    #[test]
    fn a_grown_delay_moves_the_boundary_later_by_the_growth() {
        let (a, b) = grown_delay_boundary(part(0, 8000, 0), part(8000, 24000, 960), 1600);
        assert_eq!((a.end, b.start), (8960, 8960));
        assert_eq!((a.delay, b.delay), (0, 960));
        assert_eq!((a.inserted, b.inserted), (960, 0));
    }

    #[test]
    fn a_fallen_delay_keeps_the_boundary() {
        let (a, b) = grown_delay_boundary(part(0, 8000, 960), part(8000, 24000, 0), 1600);
        assert_eq!((a.end, b.start), (8000, 8000));
        assert_eq!(a.inserted, 0);
    }

    #[test]
    fn the_second_part_keeps_its_shortest_length() {
        let (a, b) = grown_delay_boundary(part(0, 8000, 0), part(8000, 10000, 960), 1600);
        assert_eq!((a.end, b.start, b.end), (8400, 8400, 10000));
        assert_eq!(a.inserted, 400);
    }
}
