//! Searching an index: which reference a recording carries, at what offset.

use super::{BITS, Extractor, Fingerprint, HOP_S, Index};

/// Number of sub-frame phases the query is fingerprinted at (offset resolution HOP_S / PHASES).
const PHASES: usize = 4;
/// Query frames in the first screening pass over every alignment (at most 31: see
/// [`byte_counts`]).
const SCREEN_FRAMES: usize = 16;
const _: () = assert!(
    SCREEN_FRAMES <= 31,
    "the screening's byte counts would overflow"
);
/// Alignments (over all references) that survive screening.
const SURVIVORS: usize = 2000;
/// Least weight of a query frame that counts as loud (see `Fingerprint::weights`).
const LOUD_WEIGHT: u8 = 200;

/// A query with less active speech than this share of its length is said to be mostly
/// pause when it matches nothing: the goal is that a query is found unless a third of it
/// is silence or destroyed.
const MOSTLY_PAUSE: f64 = 2.0 / 3.0;

/// Tuning of [`identify_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifyOptions {
    /// Highest bit error rate accepted as a match.
    pub max_ber: f64,
    /// Highest bit error rate accepted in the worst third of the overlap.
    pub max_third_ber: f64,
    /// Least overlap between query and reference, in seconds; at least 85 % of the shorter
    /// of the two must overlap too, or 5 s when that is less (and at least half of it).
    /// Shorter queries or references never match.
    pub min_overlap_s: f64,
    /// Number of references the coarse search hands to the fine search.
    pub candidates: usize,
    /// Highest bit error rate accepted when the match stands out from every other alignment
    /// (noisy references, noisy paths): see `min_margin_sigmas`.
    pub max_ber_standout: f64,
    /// How far, in standard deviations of a chance BER over the query's bits, the best
    /// alignment must be below the best unrelated one (another reference, or the same one
    /// more than a few frames away) to be accepted above `max_ber`.
    pub min_margin_sigmas: f64,
    /// Least fraction of the query's half-second windows that must match on their own for a
    /// match above `max_ber` (a real match holds across the query, a coincidence does not).
    pub min_matched_fraction: f64,
    /// How far, in the same deviations, a match at or below `max_ber` must be below the best
    /// unrelated alignment (when there is one).
    pub min_margin_sigmas_close: f64,
}

impl Default for IdentifyOptions {
    fn default() -> Self {
        Self {
            max_ber: 0.36,
            max_third_ber: 0.40,
            min_overlap_s: 1.5,
            candidates: 8,
            max_ber_standout: 0.45,
            min_margin_sigmas: 4.5,
            min_matched_fraction: 0.5,
            min_margin_sigmas_close: 3.0,
        }
    }
}

/// The answer of [`identify`]: which reference, where, how sure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Identification {
    /// Name of the matching reference, or `None` when nothing matches.
    #[serde(rename = "match")]
    pub matched: Option<String>,
    /// Time in the reference that lines up with the start of the query, in milliseconds
    /// (negative when the query starts before the reference); `None` without a match.
    pub offset_ms: Option<f64>,
    /// Confidence of the match in 0..=1 (0 without a match).
    pub confidence: f64,
    /// Bit error rate of the best alignment found (matched or not); 0.5 is chance.
    pub ber: f64,
    /// The closest reference even when it was not accepted, for diagnostics.
    pub nearest: Option<String>,
    /// Seconds of query and reference that overlapped in the best alignment.
    pub overlap_s: f64,
    /// BER of the worst third of the overlap (a real match is good throughout).
    pub worst_third_ber: f64,
    /// How much lower the best alignment's BER is than the best unrelated alignment's, both
    /// over their best two thirds (0 when there is nothing unrelated to compare with).
    pub margin: f64,
    /// The margin in standard deviations of a chance BER over the query's bits.
    pub margin_sigmas: f64,
    /// Fraction of the query's half-second windows that match on their own (0..=1).
    pub matched_fraction: f64,
    /// Why nothing matched (`None` with a match).
    pub reason: Option<String>,
    /// Share of the query that is active speech (ITU-T P.56 activity, 0..=1), measured only
    /// when nothing matched: a query that is mostly pause carries little of its reference.
    pub activity: Option<f64>,
}

impl Identification {
    fn none() -> Self {
        Self {
            matched: None,
            offset_ms: None,
            confidence: 0.0,
            ber: 0.5,
            nearest: None,
            overlap_s: 0.0,
            worst_third_ber: 0.5,
            margin: 0.0,
            margin_sigmas: 0.0,
            matched_fraction: 0.0,
            reason: None,
            activity: None,
        }
    }

    /// Sets why nothing matched, measuring the query's speech activity then (only then:
    /// P.56 passes over every sample at each of its thresholds) and saying so when pauses
    /// fill much of it.
    fn with_reason(mut self, reason: Option<String>, samples: &[f32], rate: u32) -> Self {
        let Some(reason) = reason else {
            return self;
        };
        let activity = crate::level::active_level_dbov(samples, rate).map_or(0.0, |a| a.activity);
        let length_s = samples.len() as f64 / f64::from(rate.max(1));
        self.activity = Some(activity);
        self.reason = Some(if activity < MOSTLY_PAUSE {
            format!(
                "{reason}; only {:.1} s of the {length_s:.1} s query is active speech (ITU-T P.56), pauses or silence fill the rest",
                activity * length_s
            )
        } else {
            reason
        });
        self
    }

    fn rejected(reason: impl Into<String>) -> Self {
        Self {
            reason: Some(reason.into()),
            ..Self::none()
        }
    }
}

/// How a query lines up with one reference.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Alignment {
    /// Time in the reference at the start of the query, in seconds (negative when the
    /// query starts before the reference).
    pub offset_s: f64,
    /// Weighted bit error rate at that alignment (0.5 is chance).
    pub ber: f64,
    /// Overlap of query and reference at that alignment, in seconds.
    pub overlap_s: f64,
    /// Confidence in 0..=1 that the alignment is real.
    pub confidence: f64,
}

/// The query fingerprinted at several sub-frame phases.
struct Query {
    /// Fingerprint at each phase, and its start shift in seconds.
    phases: Vec<(Fingerprint, f64)>,
    /// Phase-0 frames used by the coarse scan: (index relative to the first, word, mask).
    coarse: Vec<(u32, u32, u32)>,
    /// Index of the first and last coarse frame.
    span: (i64, i64),
    /// Compared bits over the coarse frames.
    coarse_bits: u32,
    /// A few loud frames spread over the query for the first screening pass over every
    /// alignment: (index, word, mask).
    screen: Vec<(i64, u32, u32)>,
    /// Compared bits of the first `j` screening frames, for `j` = 0 ..= their number.
    screen_bits: Vec<u32>,
}

impl Query {
    fn new(samples: &[f32], rate: u32) -> Option<Self> {
        let mut ex = Extractor::new(rate).ok()?;
        let hop = HOP_S * f64::from(rate);
        let keep = super::QUERY_BITS;
        let phases: Vec<(Fingerprint, f64)> = (0..PHASES)
            .map(|p| {
                let shift = (p as f64 * hop / PHASES as f64).round() as usize;
                let fp = ex.extract_masked(samples.get(shift..).unwrap_or(&[]), keep);
                (fp, shift as f64 / f64::from(rate))
            })
            .collect();
        let base = &phases[0].0;
        // Every loud frame: only the alignments that survive screening are scored with it.
        let sel: Vec<usize> = (0..base.frames.len())
            .filter(|&i| base.weights[i] >= LOUD_WEIGHT)
            .collect();
        if base.frames.len() < 8 || sel.len() < 4 {
            return None;
        }
        let first = sel[0];
        let coarse: Vec<(u32, u32, u32)> = sel
            .iter()
            .map(|&i| ((i - first) as u32, base.frames[i], base.masks[i]))
            .collect();
        let coarse_bits = coarse.iter().map(|c| c.2.count_ones()).sum();
        let span = (first as i64, *sel.last()? as i64);
        let take = SCREEN_FRAMES.min(sel.len());
        let screen: Vec<(i64, u32, u32)> = (0..take)
            .map(|j| sel[j * sel.len() / take])
            .map(|i| (i as i64, base.frames[i], base.masks[i]))
            .collect();
        let screen_bits = bits_before_each(&screen);
        Some(Self {
            phases,
            coarse,
            span,
            coarse_bits,
            screen,
            screen_bits,
        })
    }

    fn len(&self) -> usize {
        self.phases[0].0.frames.len()
    }
}

/// Least overlap, in frames, for a query of `q` words against a reference of `r` words:
/// 85 % of the shorter, or [`LONG_OVERLAP_S`] when that is less (but never under half of
/// the shorter), and never under `opts.min_overlap_s`.
fn min_overlap_frames(q: usize, r: usize, opts: &IdentifyOptions) -> usize {
    let want = (opts.min_overlap_s / HOP_S).round() as usize;
    let shorter = q.min(r) as f64;
    let long_enough = (LONG_OVERLAP_S / HOP_S).max(0.5 * shorter);
    want.max((shorter * 0.85).min(long_enough) as usize).max(4)
}

/// An overlap this long is enough on its own, whatever share of the shorter side it is:
/// a recording that carries most of a reference and then other audio (a call crossed with
/// another, a play cut short) is named. Over this many bits a chance alignment does not
/// pass the match tests: 3000 unindexed queries against the prompt library of
/// `fingerprint_telephony` gave no false match with it, as without it, while 60 % of the
/// shorter side alone gave eight.
const LONG_OVERLAP_S: f64 = 5.0;

/// The coarse scan of one reference: the best alignment, and the best unrelated one.
struct Scan {
    /// (bit error rate, offset in frames) of the best alignment.
    best: (f64, i64),
    /// Offsets of the best few alignments far from the best one, best first.
    unrelated: Vec<i64>,
}

/// Coarse alignment of the query's selected frames against one reference, at every offset.
fn coarse_scan(query: &Query, r: &[u32], min_overlap: usize) -> Option<Scan> {
    let (qn, rn) = (query.len() as i64, r.len() as i64);
    let (first, last) = query.span;
    let k_min = -(qn - min_overlap as i64);
    let k_max = rn - min_overlap as i64;
    let need = (query.coarse_bits / 2).min(8 * BITS as u32);
    let mut all: Vec<(f64, i64)> = Vec::new();
    for k in k_min..=k_max {
        let (dist, bits) = if k + first >= 0 && k + last < rn {
            // All selected frames fall inside the reference.
            let window = &r[(k + first) as usize..=(k + last) as usize];
            let mut d = 0u32;
            for &(i, qv, m) in &query.coarse {
                d += ((qv ^ window[i as usize]) & m).count_ones();
            }
            (d, query.coarse_bits)
        } else {
            let mut d = 0u32;
            let mut c = 0u32;
            for &(i, qv, m) in &query.coarse {
                let j = i64::from(i) + first + k;
                if (0..rn).contains(&j) {
                    d += ((qv ^ r[j as usize]) & m).count_ones();
                    c += m.count_ones();
                }
            }
            (d, c)
        };
        if bits < need || bits == 0 {
            continue;
        }
        all.push((f64::from(dist) / f64::from(bits), k));
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let best = *all.first()?;
    let unrelated = all
        .iter()
        .filter(|a| (a.1 - best.1).abs() > NEIGHBOURHOOD + 4)
        .take(UNRELATED_REFINED)
        .map(|a| a.1)
        .collect();
    Some(Scan { best, unrelated })
}

/// The best `SURVIVORS` alignments offered by the screening pass.
///
/// Offers better than the worst kept so far are collected unsorted and cut back to the best
/// `SURVIVORS` whenever twice that many have gathered: an offer costs a push, not a sift
/// through a heap (which was a tenth of an identification's time).
struct Survivors {
    /// (BER in 1/65536 steps, reference, frame offset), at most twice `SURVIVORS`.
    kept: Vec<(u32, usize, i64)>,
    /// The worst score kept at the last cut; `u32::MAX` before the first.
    worst: u32,
}

impl Survivors {
    fn new() -> Self {
        Self {
            kept: Vec::with_capacity(2 * SURVIVORS),
            worst: u32::MAX,
        }
    }

    /// Keeps alignment `k` of reference `n`, with `distance` differing bits of `bits`
    /// compared, when it is better than the worst kept at the last cut.
    fn offer(&mut self, distance: u32, bits: u32, n: usize, k: i64) {
        // BER in 1/65536 steps, so the scores are integers.
        let score = (distance << 16) / bits;
        if score < self.worst {
            self.kept.push((score, n, k));
            if self.kept.len() == 2 * SURVIVORS {
                self.cut();
            }
        }
    }

    /// Keeps the best `SURVIVORS` (ties broken by reference and offset).
    fn cut(&mut self) {
        if self.kept.len() > SURVIVORS {
            self.kept.select_nth_unstable(SURVIVORS - 1);
            self.kept.truncate(SURVIVORS);
            self.worst = self.kept.iter().map(|s| s.0).max().unwrap_or(u32::MAX);
        }
    }

    /// The best `SURVIVORS` alignments offered, in no order.
    fn into_best(mut self) -> Vec<(u32, usize, i64)> {
        self.cut();
        self.kept
    }

    /// Distances over `bits` below this are the ones [`Survivors::offer`] keeps: one
    /// comparison per alignment instead of a division (with the worst kept score `w`,
    /// `floor(d·65536 / bits) < w` is `d < ceil(w·bits / 65536)`).
    fn distance_limit(&self, bits: u32) -> u32 {
        if self.worst == u32::MAX {
            return u32::MAX;
        }
        let limit = (u64::from(self.worst) * u64::from(bits)).div_ceil(1 << 16);
        u32::try_from(limit).unwrap_or(u32::MAX)
    }
}

/// Screening pass: scores every alignment of `r` on the query's few screening frames and
/// offers each to `survivors`.
fn screen(
    query: &Query,
    n: usize,
    r: &[u32],
    min_overlap: usize,
    dist: &mut Vec<u32>,
    survivors: &mut Survivors,
) {
    let (qn, rn) = (query.len() as i64, r.len() as i64);
    let k_min = -(qn - min_overlap as i64);
    let k_max = rn - min_overlap as i64;
    if k_max < k_min {
        return;
    }
    let npos = (k_max - k_min + 1) as usize;
    dist.clear();
    dist.resize(npos, 0);
    for &(i, qv, m) in &query.screen {
        // Positions k with 0 <= k + i < rn.
        let lo = k_min.max(-i);
        let hi = k_max.min(rn - 1 - i);
        if hi < lo {
            continue;
        }
        let rs = &r[(lo + i) as usize..=(hi + i) as usize];
        let ds = &mut dist[(lo - k_min) as usize..=(hi - k_min) as usize];
        add_byte_counts(ds, rs, qv, m);
    }
    let full = *query.screen_bits.last().unwrap_or(&0);
    let (Some(&(i_first, ..)), Some(&(i_last, ..))) = (query.screen.first(), query.screen.last())
    else {
        return;
    };
    if full == 0 {
        return;
    }
    // Alignments near either end are compared on the screening frames that fall inside.
    // Fewer bits compared lower the limit, so a distance at or over the limit for all of
    // them needs no count.
    let near_end = |k: i64, survivors: &mut Survivors| {
        let d = sum_of_bytes(dist[(k - k_min) as usize]);
        if d >= survivors.distance_limit(full) {
            return;
        }
        let inside_from = query.screen.partition_point(|s| s.0 + k < 0);
        let inside_to = query.screen.partition_point(|s| s.0 + k < rn);
        let bits = query.screen_bits[inside_to] - query.screen_bits[inside_from];
        if bits * 2 < full || bits == 0 {
            return;
        }
        if d < survivors.distance_limit(bits) {
            survivors.offer(d, bits, n, k);
        }
    };
    // Alignments where every screening frame falls inside the reference: nearly all of
    // them, and one comparison decides each.
    let inner_first = (-i_first).clamp(k_min, k_max + 1);
    let inner_last = (rn - 1 - i_last).min(k_max);
    for k in k_min..inner_first {
        near_end(k, survivors);
    }
    let mut limit = survivors.distance_limit(full);
    for k in inner_first..=inner_last {
        let d = sum_of_bytes(dist[(k - k_min) as usize]);
        if d < limit {
            survivors.offer(d, full, n, k);
            limit = survivors.distance_limit(full);
        }
    }
    for k in (inner_last + 1).max(inner_first)..=k_max {
        near_end(k, survivors);
    }
}

/// Running sums of the compared bits of `frames`: element `j` counts the first `j`.
fn bits_before_each(frames: &[(i64, u32, u32)]) -> Vec<u32> {
    std::iter::once(0)
        .chain(frames.iter().scan(0, |sum, f| {
            *sum += f.2.count_ones();
            Some(*sum)
        }))
        .collect()
}

/// Adds to each `distances[p]` the byte counts ([`byte_counts`]) of the bits of `query`
/// under `mask` that differ from `reference[p]`. Contiguous on both sides, so the loop
/// vectorises; it is built twice and the wider AVX2 build is chosen at run time where the
/// processor has it (the baseline x86-64 target stops at 128-bit vectors): this loop is most
/// of an identification's time.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn add_byte_counts(distances: &mut [u32], reference: &[u32], query: u32, mask: u32) {
    for (d, &rv) in distances.iter_mut().zip(reference) {
        *d += byte_counts((query ^ rv) & mask);
    }
}

/// The number of set bits in each byte of `x`, in that byte. Summed over at most 31 words
/// no byte overflows, and the sum's bytes add up to the words' total of set bits
/// ([`sum_of_bytes`]): without a population-count instruction (the baseline x86-64 target
/// has none) this leaves the per-word horizontal sum out of the screening loop.
fn byte_counts(x: u32) -> u32 {
    let x = x - ((x >> 1) & 0x5555_5555);
    let x = (x & 0x3333_3333) + ((x >> 2) & 0x3333_3333);
    (x + (x >> 4)) & 0x0f0f_0f0f
}

/// The sum of the four bytes of `x`.
fn sum_of_bytes(x: u32) -> u32 {
    let pairs = (x & 0x00ff_00ff) + ((x >> 8) & 0x00ff_00ff);
    (pairs & 0xffff) + (pairs >> 16)
}

/// BER of the query's coarse frames against reference `r` at frame offset `k`, on the bits
/// both masks keep; `None` when too few bits overlap.
fn coarse_at_masked(query: &Query, r: &Fingerprint, k: i64) -> Option<f64> {
    let (mut d, mut c) = (0u32, 0u32);
    for &(i, qv, m) in &query.coarse {
        let j = i64::from(i) + query.span.0 + k;
        if (0..r.frames.len() as i64).contains(&j) {
            let m = m & r.masks[j as usize];
            d += ((qv ^ r.frames[j as usize]) & m).count_ones();
            c += m.count_ones();
        }
    }
    (c > 64).then(|| f64::from(d) / f64::from(c))
}

/// Alignments sampled to measure how widely chance BERs spread for one query.
const NULL_SAMPLES: usize = 512;
/// Least samples that give a usable spread.
const MIN_NULL_SAMPLES: usize = 32;

/// How widely the BERs of unrelated alignments spread for this query: the standard deviation
/// of the coarse BER at `NULL_SAMPLES` alignments drawn evenly (by a fixed sequence, so
/// answers repeat) from every reference, away from the best alignment `best` (reference,
/// frame offset); `None` with too few.
///
/// Measured rather than modelled: how many of a word's bits vary independently depends on
/// the speech, the masks and the path, and one query's chance BERs spread twice as widely
/// as another's.
fn chance_spread(
    query: &Query,
    references: &[&Fingerprint],
    best: (usize, i64),
    opts: &IdentifyOptions,
) -> Option<Chance> {
    if references.is_empty() {
        return None;
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let mut bers = Vec::with_capacity(NULL_SAMPLES);
    for _ in 0..NULL_SAMPLES {
        let m = next() as usize % references.len();
        let r = references[m];
        let min_overlap = min_overlap_frames(query.len(), r.frames.len(), opts) as i64;
        let (lo, hi) = (
            -(query.len() as i64 - min_overlap),
            r.frames.len() as i64 - min_overlap,
        );
        if hi < lo {
            continue;
        }
        let k = lo + (next() as i64 % (hi - lo + 1));
        if m == best.0 && (k - best.1).abs() <= NEIGHBOURHOOD + 4 {
            continue;
        }
        bers.extend(coarse_at_masked(query, r, k));
    }
    if bers.len() < MIN_NULL_SAMPLES {
        return None;
    }
    let mean = bers.iter().sum::<f64>() / bers.len() as f64;
    let variance =
        bers.iter().map(|b| (b - mean) * (b - mean)).sum::<f64>() / (bers.len() - 1) as f64;
    Some(Chance {
        mean,
        deviation: variance.sqrt(),
    })
}

/// The BERs of a query's unrelated alignments: their mean and standard deviation over all
/// of the query's loud frames.
#[derive(Debug, Clone, Copy)]
struct Chance {
    mean: f64,
    deviation: f64,
}

impl Chance {
    /// The deviation of a BER over the best two thirds of the query's windows, the unit of
    /// the margin: the spread of a mean grows as the root of 3/2 when a third of the bits
    /// are left out.
    fn trimmed_deviation(&self) -> f64 {
        self.deviation * 1.5f64.sqrt()
    }

    /// How many deviations `ber` lies below the chance mean.
    fn below_chance(&self, ber: f64) -> f64 {
        (self.mean - ber) / self.deviation.max(1e-6)
    }
}

/// How far below the chance mean, in deviations, the best of `alignments` chance
/// alignments is expected to lie: the extreme of that many normal draws, √(2 ln n).
fn chance_extreme(alignments: f64) -> f64 {
    (2.0 * alignments.max(2.0).ln()).sqrt()
}

/// How far beyond the expected chance extreme a BER must lie to be more than chance even
/// when another reference matches about as well (the same audio in two references).
const BEYOND_CHANCE_EXTREME: f64 = 3.0;

/// Set bits over all `words`, counted a byte at a time ([`byte_counts`]) and summed once
/// per 31 words.
fn set_bits(words: impl Iterator<Item = u32>) -> u32 {
    let (mut total, mut bytes, mut pending) = (0, 0, 0);
    for w in words {
        bytes += byte_counts(w);
        pending += 1;
        if pending == 31 {
            total += sum_of_bytes(bytes);
            (bytes, pending) = (0, 0);
        }
    }
    total + sum_of_bytes(bytes)
}

/// BER of the query's coarse frames against `r` at frame offset `k`.
fn coarse_at(query: &Query, r: &[u32], k: i64) -> Option<f64> {
    let (first, last) = (query.span.0 + k, query.span.1 + k);
    if first >= 0 && last < r.len() as i64 {
        // The usual case, every survivor of a long reference: all coarse frames lie inside,
        // so no index needs checking and the compared bits are the query's own.
        let inside = &r[first as usize..=last as usize];
        let d = set_bits(
            query
                .coarse
                .iter()
                .map(|&(i, qv, m)| (qv ^ inside[i as usize]) & m),
        );
        return (query.coarse_bits > 0).then(|| f64::from(d) / f64::from(query.coarse_bits));
    }
    let (mut d, mut c) = (0u32, 0u32);
    for &(i, qv, m) in &query.coarse {
        let j = i64::from(i) + query.span.0 + k;
        if (0..r.len() as i64).contains(&j) {
            d += ((qv ^ r[j as usize]) & m).count_ones();
            c += m.count_ones();
        }
    }
    (c * 2 >= query.coarse_bits && c > 0).then(|| f64::from(d) / f64::from(c))
}

/// Frames per sub-window of the query that is judged on its own (about half a second).
const SUB_FRAMES: usize = 31;
/// Highest BER of a sub-window that counts as matching on its own.
const SUB_MAX_BER: f64 = 0.40;
/// Alignments closer than this many frames to the best share its audio (smoothing and the
/// bits' time difference make neighbouring words overlap), so they are not unrelated.
const NEIGHBOURHOOD: i64 = 4;

/// How well a query matches a reference at one alignment.
#[derive(Debug, Clone, Copy)]
struct Score {
    /// Weighted bit error rate over the overlap.
    ber: f64,
    /// Overlap, in frames.
    overlap: usize,
    /// BER of the worst third of the overlap.
    worst_third: f64,
    /// Fraction of the overlap's sub-windows whose own BER is at most `SUB_MAX_BER`.
    matched_fraction: f64,
    /// BER over the best two thirds of the sub-windows: what a query with a destroyed or
    /// silent part has in common with its reference.
    trimmed: f64,
    /// Bits compared in the query's loud frames (both masks set): what the chance spread
    /// of the BER depends on.
    loud_bits: u32,
}

/// Weighted bit error rate of `q` against `r` at frame offset `k`.
fn fine_ber(q: &Fingerprint, r: &Fingerprint, k: i64) -> Option<Score> {
    let lo = 0i64.max(-k);
    let hi = (q.frames.len() as i64).min(r.frames.len() as i64 - k);
    if hi <= lo {
        return None;
    }
    let len = (hi - lo) as usize;
    let subs = (len / SUB_FRAMES).max(1);
    let mut parts = [(0u64, 0u64); 3];
    let mut sub = vec![(0u64, 0u64); subs];
    let mut loud_bits = 0u32;
    for i in lo..hi {
        let j = (i + k) as usize;
        let pos = (i - lo) as usize;
        let i = i as usize;
        let w = u64::from(q.weights[i].min(r.weights[j]));
        let m = q.masks[i] & r.masks[j];
        if q.weights[i] >= LOUD_WEIGHT {
            loud_bits += m.count_ones();
        }
        let d = w * u64::from(((q.frames[i] ^ r.frames[j]) & m).count_ones());
        let n = w * u64::from(m.count_ones());
        for acc in [
            &mut parts[(pos * 3 / len).min(2)],
            &mut sub[(pos * subs / len).min(subs - 1)],
        ] {
            acc.0 += d;
            acc.1 += n;
        }
    }
    let (num, den) = parts.iter().fold((0, 0), |a, p| (a.0 + p.0, a.1 + p.1));
    if den < 255 * 8 * 8 {
        return None;
    }
    let worst_third = parts
        .iter()
        .filter(|p| p.1 >= 255 * 8 * 4)
        .map(|p| p.0 as f64 / p.1 as f64)
        .fold(0.0, f64::max);
    // A sub-window needs the bits of a few loud frames to be judged at all; silent or
    // destroyed ones simply do not match.
    let judged: Vec<(u64, u64)> = sub.into_iter().filter(|p| p.1 >= 255 * 8 * 6).collect();
    let matched = judged
        .iter()
        .filter(|p| p.0 as f64 <= SUB_MAX_BER * p.1 as f64)
        .count();
    Some(Score {
        ber: num as f64 / den as f64,
        overlap: len,
        worst_third,
        matched_fraction: matched as f64 / subs as f64,
        trimmed: trimmed_ber(judged, subs).unwrap_or(num as f64 / den as f64),
        loud_bits,
    })
}

/// BER over the best two thirds (rounded up) of a query's `subs` sub-windows, of those with
/// enough bits to be judged (`judged`: errors and bits of each).
fn trimmed_ber(mut judged: Vec<(u64, u64)>, subs: usize) -> Option<f64> {
    let keep = (subs * 2).div_ceil(3).min(judged.len());
    judged.sort_by(|a, b| (a.0 * b.1).cmp(&(b.0 * a.1)));
    let (num, den) = judged[..keep]
        .iter()
        .fold((0u64, 0u64), |a, p| (a.0 + p.0, a.1 + p.1));
    (den > 0).then(|| num as f64 / den as f64)
}

/// Fine alignment around coarse frame offset `k`: the best score and its offset in seconds.
fn refine(query: &Query, r: &Fingerprint, k: i64) -> Option<(Score, f64)> {
    // Candidate offsets in seconds at PHASES steps per hop, with their scores.
    let mut track: Vec<(f64, Score)> = Vec::with_capacity(5 * PHASES);
    for dk in -2..=2 {
        for (fp, shift) in &query.phases {
            if let Some(score) = fine_ber(fp, r, k + dk) {
                track.push(((k + dk) as f64 * HOP_S - shift, score));
            }
        }
    }
    track.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (pos, &(offset, score)) = track
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.1.ber.total_cmp(&b.1.1.ber))?;
    // Parabolic interpolation of the BER minimum between neighbouring phases.
    let step = HOP_S / PHASES as f64;
    let mut refined = offset;
    if pos > 0 && pos + 1 < track.len() {
        let (y0, y1, y2) = (track[pos - 1].1.ber, score.ber, track[pos + 1].1.ber);
        let denom = y0 - 2.0 * y1 + y2;
        if denom > 1e-9 {
            refined += (0.5 * (y0 - y2) / denom).clamp(-0.5, 0.5) * step;
        }
    }
    Some((score, refined))
}

/// Standard deviation of a chance BER over `bits` compared bits; bits of neighbouring
/// frames are correlated, so about one in four counts as independent.
fn chance_sigma(bits: u32) -> f64 {
    0.5 / (f64::from(bits) / 4.0).max(1.0).sqrt()
}

/// Confidence from a bit error rate over `overlap_frames` frames: 0 at the acceptance
/// threshold and above, approaching 1 far below it.
fn confidence(ber: f64, overlap_frames: usize, max_ber: f64) -> f64 {
    if ber >= max_ber {
        return 0.0;
    }
    let sigma = chance_sigma((overlap_frames * BITS) as u32);
    let z = (max_ber - ber) / sigma;
    (1.0 - (-z / 2.0).exp()).clamp(0.0, 1.0)
}

/// The evidence on the best alignment that the acceptance rule weighs.
#[derive(Debug, Clone, Copy)]
struct Evidence {
    score: Score,
    /// Trimmed BER of the best unrelated alignment minus the best one's (`None`: nothing
    /// unrelated to compare with).
    margin: Option<f64>,
    /// Whether the best unrelated alignment lies elsewhere in the same reference (audio that
    /// repeats within it): the reference is still the right one, only the offset is unsure.
    repeats_within: bool,
    /// Chance BER deviation over the bits compared, the unit of the margin.
    sigma: f64,
    /// How many deviations the best BER lies beyond the best that chance alone is expected
    /// to reach over every alignment searched (`None` when not measured).
    beyond_chance: Option<f64>,
}

impl Evidence {
    fn margin_sigmas(&self) -> f64 {
        self.margin.map_or(0.0, |m| m / self.sigma)
    }
}

/// The acceptance rule: `Ok` for a match, `Err(why not)` otherwise.
///
/// A low BER that holds in every third of the query is a match on its own (nothing
/// unrelated comes that close). Above it, up to `max_ber_standout`, the best alignment must
/// stand out from the best unrelated one by `min_margin_sigmas` (chance BERs of unrelated
/// alignments cluster, so the best of them is only a fraction of a deviation ahead of the
/// next) and enough of the query's half-second windows must match on their own.
fn decide(ev: &Evidence, opts: &IdentifyOptions) -> Result<(), String> {
    let s = &ev.score;
    // Even a low BER must beat the unrelated alignments, when there are any: in a library
    // of many short prompts, the best of thousands of chance alignments of a 2 s query
    // reaches a BER of 0.30–0.36, but no further below the next one than chance allows.
    let close_stands_out = ev.margin.is_none()
        || ev.repeats_within
        || ev.margin_sigmas() >= opts.min_margin_sigmas_close
        || ev.beyond_chance.is_some_and(|z| z >= BEYOND_CHANCE_EXTREME);
    if s.ber <= opts.max_ber && s.worst_third <= opts.max_third_ber && close_stands_out {
        return Ok(());
    }
    if s.trimmed > opts.max_ber_standout {
        return Err(format!(
            "bit error rate {:.3} (best two thirds {:.3}) is too close to chance (0.5); at most \
             {:.2} can match",
            s.ber, s.trimmed, opts.max_ber_standout
        ));
    }
    if ev.margin_sigmas() < opts.min_margin_sigmas {
        return Err(match ev.margin {
            Some(m) => format!(
                "bit error rate {:.3} (best two thirds {:.3}) stands out from the best \
                 unrelated alignment by only {m:.3} ({:.1} deviations; {:.1} needed)",
                s.ber,
                s.trimmed,
                ev.margin_sigmas(),
                opts.min_margin_sigmas
            ),
            None => format!(
                "bit error rate {:.3} is above {:.2} and there is no unrelated alignment to \
                 show it stands out",
                s.ber, opts.max_ber
            ),
        });
    }
    if s.matched_fraction < opts.min_matched_fraction {
        return Err(format!(
            "only {:.0} % of the query's half-second windows match (silence, noise or lost \
             audio); {:.0} % needed",
            s.matched_fraction * 100.0,
            opts.min_matched_fraction * 100.0
        ));
    }
    Ok(())
}

/// Unrelated alignments refined to compare with the best one.
const UNRELATED_REFINED: usize = 8;

/// The best alignment unrelated to the winner (reference `n`, coarse offset `k`): the best
/// few by coarse BER, refined exactly as the winner was, so the margin compares like with
/// like.
fn best_unrelated(
    query: &Query,
    index: &Index,
    scored: &[(f64, usize, i64)],
    n: usize,
    k: i64,
) -> Option<Unrelated> {
    // Refinement moves up to 2 frames: start far enough away not to slide onto the winner.
    let far = NEIGHBOURHOOD + 4;
    let mut others: Vec<&(f64, usize, i64)> = scored
        .iter()
        .filter(|&&(_, m, j)| m != n || (j - k).abs() > far)
        .collect();
    others.sort_by(|a, b| a.0.total_cmp(&b.0));
    others
        .iter()
        .take(UNRELATED_REFINED)
        .filter_map(|&&(_, m, j)| {
            refine(query, &index.entries()[m].fingerprint, j).map(|(s, _)| (s.trimmed, m))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(trimmed, m)| Unrelated {
            trimmed,
            same_reference: m == n,
        })
}

/// The best alignment unrelated to the winner.
#[derive(Debug, Clone, Copy)]
struct Unrelated {
    /// Its BER over the best two thirds of the query's windows.
    trimmed: f64,
    /// Whether it lies in the winner's own reference (elsewhere in it).
    same_reference: bool,
}

/// How many alignments a search of `index` compares the query at: every offset of every
/// reference it overlaps enough, at every sub-frame phase.
fn alignments_searched(query: &Query, index: &Index, opts: &IdentifyOptions) -> f64 {
    let offsets: i64 = index
        .entries()
        .iter()
        .map(|e| {
            let len = e.fingerprint.frames.len() as i64;
            let min_overlap = min_overlap_frames(query.len(), len as usize, opts) as i64;
            (len + query.len() as i64 - 2 * min_overlap + 1).max(0)
        })
        .sum();
    (offsets * PHASES as i64) as f64
}

/// Identifies which reference of `index` the recording `samples` (at `rate` Hz) carries,
/// with default options.
pub fn identify(index: &Index, samples: &[f32], rate: u32) -> Identification {
    identify_with(index, samples, rate, &IdentifyOptions::default())
}

/// Why a query cannot be compared at all.
fn unusable_query(samples: &[f32], rate: u32) -> String {
    format!(
        "the query ({:.2} s) has too little sound to fingerprint",
        samples.len() as f64 / f64::from(rate.max(1))
    )
}

/// Identifies which reference of `index` the recording `samples` (at `rate` Hz) carries.
pub fn identify_with(
    index: &Index,
    samples: &[f32],
    rate: u32,
    opts: &IdentifyOptions,
) -> Identification {
    let Some(query) = Query::new(samples, rate) else {
        return Identification::rejected(unusable_query(samples, rate));
    };
    let mut survivors = Survivors::new();
    let mut dist = Vec::new();
    for (n, e) in index.entries().iter().enumerate() {
        let len = e.fingerprint.frames.len();
        let min_ov = min_overlap_frames(query.len(), len, opts);
        if len >= min_ov && query.len() >= min_ov {
            screen(
                &query,
                n,
                &e.fingerprint.frames,
                min_ov,
                &mut dist,
                &mut survivors,
            );
        }
    }
    let survivors = survivors.into_best();
    if survivors.is_empty() {
        return Identification::rejected(format!(
            "the query or every reference is shorter than {:.1} s",
            opts.min_overlap_s
        ));
    }
    // Survivors, scored on every loud frame.
    let scored: Vec<(f64, usize, i64)> = survivors
        .into_iter()
        .filter_map(|(_, n, k)| {
            coarse_at(&query, &index.entries()[n].fingerprint.frames, k).map(|b| (b, n, k))
        })
        .collect();
    // The best alignment per reference.
    let mut best: Vec<Option<(f64, i64)>> = vec![None; index.len()];
    for &(ber, n, k) in &scored {
        if best[n].is_none_or(|(b, _)| ber < b) {
            best[n] = Some((ber, k));
        }
    }
    let mut coarse: Vec<(f64, usize, i64)> = best
        .iter()
        .enumerate()
        .filter_map(|(n, b)| b.map(|(ber, k)| (ber, n, k)))
        .collect();
    coarse.sort_by(|a, b| a.0.total_cmp(&b.0));
    coarse.truncate(opts.candidates.max(1));
    let mut fine: Vec<(Score, f64, f64, usize, i64)> = coarse
        .iter()
        .filter_map(|&(cb, n, k)| {
            refine(&query, &index.entries()[n].fingerprint, k).map(|(s, o)| (s, o, cb, n, k))
        })
        .collect();
    fine.sort_by(|a, b| a.0.ber.total_cmp(&b.0.ber));
    let Some(&(score, offset_s, _, n, k)) = fine.first() else {
        return Identification::rejected("no alignment overlaps enough to be compared");
    };
    let unrelated = best_unrelated(&query, index, &scored, n, k);
    let fingerprints: Vec<&Fingerprint> = index.entries().iter().map(|e| &e.fingerprint).collect();
    let chance = chance_spread(&query, &fingerprints, (n, k), opts);
    let evidence = Evidence {
        score,
        margin: unrelated.map(|u| u.trimmed - score.trimmed),
        repeats_within: unrelated.is_some_and(|u| u.same_reference),
        sigma: chance.map_or_else(|| chance_sigma(score.loud_bits), |c| c.trimmed_deviation()),
        beyond_chance: chance.map(|c| {
            c.below_chance(score.ber) - chance_extreme(alignments_searched(&query, index, opts))
        }),
    };
    let verdict = decide(&evidence, opts);
    let accepted = verdict.is_ok();
    let name = index.entries()[n].name.clone();
    Identification {
        matched: accepted.then(|| name.clone()),
        offset_ms: accepted.then_some(offset_s * 1000.0),
        confidence: if accepted {
            confidence(score.ber, score.overlap, opts.max_ber_standout)
        } else {
            0.0
        },
        ber: score.ber,
        nearest: Some(name.clone()),
        overlap_s: score.overlap as f64 * HOP_S,
        worst_third_ber: score.worst_third,
        margin: evidence.margin.unwrap_or(0.0),
        margin_sigmas: evidence.margin_sigmas(),
        matched_fraction: score.matched_fraction,
        reason: None,
        activity: None,
    }
    .with_reason(
        verdict
            .err()
            .map(|why| format!("nearest reference {name}: {why}")),
        samples,
        rate,
    )
}

/// Aligns a recording (`samples` at `rate` Hz) with one reference fingerprint; `None` when
/// they do not match (by the rule of [`identify_with`]) or cannot be compared.
pub fn align(
    reference: &Fingerprint,
    samples: &[f32],
    rate: u32,
    opts: &IdentifyOptions,
) -> Option<Alignment> {
    let query = Query::new(samples, rate)?;
    let min_ov = min_overlap_frames(query.len(), reference.frames.len(), opts);
    let scan = coarse_scan(&query, &reference.frames, min_ov)?;
    let (score, offset_s) = refine(&query, reference, scan.best.1)?;
    let unrelated = scan
        .unrelated
        .iter()
        .filter_map(|&j| refine(&query, reference, j))
        .map(|(s, _)| s.trimmed)
        .min_by(f64::total_cmp);
    let chance = chance_spread(&query, &[reference], (0, scan.best.1), opts);
    let evidence = Evidence {
        score,
        margin: unrelated.map(|u| u - score.trimmed),
        repeats_within: true,
        sigma: chance.map_or_else(|| chance_sigma(score.loud_bits), |c| c.trimmed_deviation()),
        beyond_chance: None,
    };
    decide(&evidence, opts).ok()?;
    Some(Alignment {
        offset_s,
        ber: score.ber,
        overlap_s: score.overlap as f64 * HOP_S,
        confidence: confidence(score.ber, score.overlap, opts.max_ber_standout),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixed, well-mixed words (a multiplicative hash of the position).
    fn words(seed: u64, n: usize) -> Vec<u32> {
        (0..n as u64)
            .map(|k| ((k + seed * n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32)
            .collect()
    }

    #[test]
    fn coarse_ber_inside_the_reference_is_the_ber_counted_word_by_word() {
        let (q, m) = (words(3, 200), words(4, 200));
        // Every third frame, as loud frames would be picked; the last mask has every bit.
        let coarse: Vec<(u32, u32, u32)> = (0..200)
            .step_by(3)
            .map(|i| (i as u32, q[i], if i == 198 { u32::MAX } else { m[i] }))
            .collect();
        let coarse_bits = coarse.iter().map(|c| c.2.count_ones()).sum();
        let query = Query {
            phases: Vec::new(),
            coarse,
            span: (5, 203),
            coarse_bits,
            screen: Vec::new(),
            screen_bits: vec![0],
        };
        let r = words(5, 400);
        for k in [-210, -10, -5, 0, 1, 150, 196, 197, 250] {
            let (mut d, mut c) = (0u32, 0u32);
            for &(i, qv, m) in &query.coarse {
                let j = i64::from(i) + 5 + k;
                if (0..400).contains(&j) {
                    d += ((qv ^ r[j as usize]) & m).count_ones();
                    c += m.count_ones();
                }
            }
            let expected = (c * 2 >= coarse_bits && c > 0).then(|| f64::from(d) / f64::from(c));
            assert_eq!(coarse_at(&query, &r, k), expected, "offset {k}");
        }
        assert!(coarse_at(&query, &r, 0).is_some() && coarse_at(&query, &r, -210).is_none());
    }

    #[test]
    fn byte_counts_of_up_to_31_words_sum_to_their_set_bits() {
        let mut all = words(1, 31 * 50);
        // The worst case for the bytes: every bit set.
        all.extend(std::iter::repeat_n(u32::MAX, 31));
        for chunk in all.chunks(31) {
            let bytes = chunk.iter().fold(0u32, |acc, &w| acc + byte_counts(w));
            let expected: u32 = chunk.iter().map(|w| w.count_ones()).sum();
            assert_eq!(sum_of_bytes(bytes), expected);
        }
    }

    #[test]
    fn the_distance_limit_keeps_exactly_what_an_offer_keeps() {
        let mut survivors = Survivors::new();
        assert_eq!(survivors.distance_limit(300), u32::MAX, "nothing cut yet");
        for (k, w) in words(2, 2 * SURVIVORS).into_iter().enumerate() {
            survivors.offer(w % 400, 400, 0, k as i64);
        }
        assert!(survivors.worst < u32::MAX, "cut once");
        for bits in [1, 7, 300, 400, 511] {
            let limit = survivors.distance_limit(bits);
            for d in 0..=bits {
                let kept = (d << 16) / bits < survivors.worst;
                assert_eq!(d < limit, kept, "distance {d} of {bits} bits");
            }
        }
    }

    #[test]
    fn byte_counts_added_over_a_slice_are_the_differing_bits() {
        // Every length up to past two 256-bit vectors, so the vector loop and its tail count.
        for len in 0..40 {
            let (r, q) = (words(5, len), words(6, 2));
            let mut distances = vec![0u32; len];
            for &(query, mask) in &[(q[0], u32::MAX), (q[1], 0x0f0f_00ff)] {
                add_byte_counts(&mut distances, &r, query, mask);
            }
            for (p, &d) in distances.iter().enumerate() {
                let want = (q[0] ^ r[p]).count_ones() + ((q[1] ^ r[p]) & 0x0f0f_00ff).count_ones();
                assert_eq!(sum_of_bytes(d), want, "length {len}, position {p}");
            }
        }
    }

    #[test]
    fn survivors_are_the_best_of_everything_offered() {
        // Offered as the screening offers: only what passes the limit of the moment.
        let offers: Vec<(u32, u32, usize, i64)> = words(3, 9 * SURVIVORS)
            .into_iter()
            .enumerate()
            .map(|(j, w)| (w % 300, 200 + w % 311, j % 7, j as i64))
            .collect();
        let mut survivors = Survivors::new();
        for &(d, bits, n, k) in &offers {
            if d < survivors.distance_limit(bits) {
                survivors.offer(d, bits, n, k);
            }
        }
        let mut got = survivors.into_best();
        got.sort_unstable();
        let mut all: Vec<(u32, usize, i64)> = offers
            .iter()
            .map(|&(d, bits, n, k)| ((d << 16) / bits, n, k))
            .collect();
        all.sort_unstable();
        let worst = all[SURVIVORS - 1].0;
        assert_eq!(got.len(), SURVIVORS);
        // The best scores, whichever of the alignments tied at the worst kept score.
        assert!(got.iter().all(|s| s.0 <= worst));
        let better = |v: &[(u32, usize, i64)]| -> Vec<(u32, usize, i64)> {
            v.iter().copied().filter(|s| s.0 < worst).collect()
        };
        assert_eq!(better(&got), better(&all));
    }
}
