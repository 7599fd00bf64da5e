//! Utterance splitting (P.862 §10.1.3.3; Rix et al., Part I, §3.4): where the delay changes
//! inside an utterance, the utterance is cut in two at the point where the two parts align
//! with the most confidence, provided each part is more confident than the whole and their
//! delays differ. Parts are split again in the same way.

use super::refine::{self, Vote, WindowCorrelator};
use super::{Envelopes, Utterance};
use std::collections::HashMap;

/// Shortest part a split may leave: 200 ms.
const MIN_PART_MS: usize = 200;
/// Split points are tried on this grid: 20 ms.
const STEP_MS: usize = 20;
/// Delays closer than this are the same delay: 1 ms... (of the sample rate).
const SAME_DELAY_MS: f64 = 1.0;
/// How often a part may be split again.
const MAX_DEPTH: usize = 5;

/// Votes of windows, cached by (window start, trial delay).
struct VoteCache<'a> {
    correlator: &'a mut WindowCorrelator,
    reference: &'a [f64],
    degraded: &'a [f64],
    votes: HashMap<(isize, isize), Vote>,
}

impl VoteCache<'_> {
    fn votes(&mut self, start: usize, end: usize, delay: isize) -> Vec<Vote> {
        let len = self.correlator.len();
        let hop = len / 4;
        let mut out = Vec::new();
        let mut at = start as isize - (len / 2) as isize;
        while at + (len / 2) as isize <= end as isize {
            let vote = match self.votes.get(&(at, delay)) {
                Some(v) => *v,
                None => {
                    let v = self
                        .correlator
                        .vote(self.reference, self.degraded, at, delay);
                    self.votes.insert((at, delay), v);
                    v
                }
            };
            out.push(vote);
            at += hop as isize;
        }
        out
    }
}

/// Splits `u` where a delay change inside it is found; returns the parts in order.
pub(crate) fn split(
    env: &Envelopes,
    correlator: &mut WindowCorrelator,
    reference: &[f64],
    degraded: &[f64],
    u: Utterance,
    search: isize,
    rate: u32,
) -> Vec<Utterance> {
    let mut cache = VoteCache {
        correlator,
        reference,
        degraded,
        votes: HashMap::new(),
    };
    let mut out = Vec::new();
    split_into(env, &mut cache, u, search, rate, 0, &mut out);
    out
}

fn split_into(
    env: &Envelopes,
    cache: &mut VoteCache,
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
    match best_split(env, cache, &u, search, rate) {
        Some((a, b)) => {
            split_into(env, cache, a, search, rate, depth + 1, out);
            split_into(env, cache, b, search, rate, depth + 1, out);
        }
        None => out.push(u),
    }
}

/// The best split of `u`, if any split is better than the whole.
fn best_split(
    env: &Envelopes,
    cache: &mut VoteCache,
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
    let same = (SAME_DELAY_MS * rate as f64 / 1000.0) as isize;
    let mut best: Option<(f64, Utterance, Utterance)> = None;
    let mut point = u.start + min_part;
    while point + min_part <= u.end {
        let a = part(env, cache, u.start, point, around, search, rate);
        let b = part(env, cache, point, u.end, around, search, rate);
        if let (Some(a), Some(b)) = (a, b)
            && a.confidence > u.confidence
            && b.confidence > u.confidence
            && (a.delay - b.delay).abs() > same
        {
            let combined = a.confidence.min(b.confidence);
            if best.as_ref().is_none_or(|(c, _, _)| combined > *c) {
                best = Some((combined, a, b));
            }
        }
        point += step;
    }
    best.map(|(_, a, b)| (a, b))
}

fn part(
    env: &Envelopes,
    cache: &mut VoteCache,
    start: usize,
    end: usize,
    around: isize,
    search: isize,
    rate: u32,
) -> Option<Utterance> {
    let block = env.block;
    let span = start / block..end.div_ceil(block).min(env.reference.len());
    let (coarse_blocks, _) = env.delay(span, around, search).unwrap_or((around, 0.0));
    let coarse = coarse_blocks * block as isize;
    let votes = cache.votes(start, end, coarse);
    let half = cache.correlator.len() as isize / 2;
    let (lag, confidence) = refine::histogram_peak(&votes, half, rate)?;
    Some(Utterance {
        start,
        end,
        delay: coarse + lag,
        confidence,
    })
}
