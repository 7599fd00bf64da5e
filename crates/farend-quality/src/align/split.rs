//! Utterance splitting (P.862 §10.1.3.3; Rix et al., Part I, §3.4): where the delay changes
//! inside an utterance, the utterance is cut in two at the point where the two parts align
//! with the most confidence, provided each part is more confident than the whole and their
//! delays differ. Parts are split again in the same way.

use super::envelope::LagSums;
use super::refine::FineDelay;
use super::{Envelopes, Utterance};

/// Shortest part a split may leave: 200 ms.
const MIN_PART_MS: usize = 200;
/// Split points are tried on this grid: 20 ms.
const STEP_MS: usize = 20;
/// Delays closer than this are the same delay: 1 ms... (of the sample rate).
const SAME_DELAY_MS: f64 = 1.0;
/// How often a part may be split again.
const MAX_DEPTH: usize = 5;

/// Splits `u` where a delay change inside it is found; returns the parts in order.
pub(crate) fn split(
    env: &Envelopes,
    fine: &mut FineDelay,
    u: Utterance,
    search: isize,
    rate: u32,
) -> Vec<Utterance> {
    let mut out = Vec::new();
    split_into(env, fine, u, search, rate, 0, &mut out);
    out
}

fn split_into(
    env: &Envelopes,
    fine: &mut FineDelay,
    u: Utterance,
    search: isize,
    rate: u32,
    depth: usize,
    out: &mut Vec<Utterance>,
) {
    if depth >= MAX_DEPTH {
        out.push(u);
        return;
    }
    match best_split(env, fine, &u, search, rate) {
        Some((a, b)) => {
            split_into(env, fine, a, search, rate, depth + 1, out);
            split_into(env, fine, b, search, rate, depth + 1, out);
        }
        None => out.push(u),
    }
}

/// The best split of `u`, if any split is better than the whole.
fn best_split(
    env: &Envelopes,
    fine: &mut FineDelay,
    u: &Utterance,
    search: isize,
    rate: u32,
) -> Option<(Utterance, Utterance)> {
    let block = env.block;
    let min_part = MIN_PART_MS * rate as usize / 1000;
    let step = (STEP_MS * rate as usize / 1000).max(block);
    if u.end - u.start < 2 * min_part {
        return None;
    }
    let around = u.delay / block as isize;
    let lags = around - search..=around + search;
    let same = (SAME_DELAY_MS * rate as f64 / 1000.0) as isize;
    // The first part only grows from one split point to the next: its envelope sums are
    // extended rather than computed again.
    let mut first_sums = LagSums::new(u.start / block, lags.clone());
    let mut best: Option<(f64, Utterance, Utterance)> = None;
    let mut point = u.start + min_part;
    while point + min_part <= u.end {
        first_sums.extend(&env.reference, &env.degraded, blocks_to(env, point));
        let a = part(fine, &first_sums, around, block, u.start..point);
        // Only a first part more confident than the whole, and than the best split so far,
        // can make this split the best: otherwise the second part need not be aligned.
        let beats = |a: &Utterance| {
            a.confidence > u.confidence && best.as_ref().is_none_or(|(c, _, _)| a.confidence > *c)
        };
        if let Some(a) = a.filter(beats) {
            let mut second_sums = LagSums::new(point / block, lags.clone());
            second_sums.extend(&env.reference, &env.degraded, blocks_to(env, u.end));
            if let Some(b) = part(fine, &second_sums, around, block, point..u.end)
                && b.confidence > u.confidence
                && (a.delay - b.delay).abs() > same
            {
                let combined = a.confidence.min(b.confidence);
                if best.as_ref().is_none_or(|(c, _, _)| combined > *c) {
                    best = Some((combined, a, b));
                }
            }
        }
        point += step;
    }
    best.map(|(_, a, b)| (a, b))
}

/// End (exclusive, in envelope blocks) of the span of reference samples ending at `end`.
fn blocks_to(env: &Envelopes, end: usize) -> usize {
    end.div_ceil(env.block).min(env.reference.len())
}

/// The reference samples `span` aligned: their envelope delay in blocks from `sums` (or
/// `around` when nothing correlates), then window votes.
fn part(
    fine: &mut FineDelay,
    sums: &LagSums,
    around: isize,
    block: usize,
    span: std::ops::Range<usize>,
) -> Option<Utterance> {
    let (start, end) = (span.start, span.end);
    let (coarse_blocks, _) = sums.best().unwrap_or((around, 0.0));
    let coarse = coarse_blocks * block as isize;
    let (lag, confidence) = fine.lag(start, end, coarse)?;
    Some(Utterance {
        start,
        end,
        delay: coarse + lag,
        confidence,
    })
}
