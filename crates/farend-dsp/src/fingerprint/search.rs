//! Searching an index: which reference a recording carries, at what offset.

use super::{BITS, Extractor, Fingerprint, HOP_S, Index};

/// Number of sub-frame phases the query is fingerprinted at (offset resolution HOP_S / PHASES).
const PHASES: usize = 4;
/// Query frames in the first screening pass over every alignment.
const SCREEN_FRAMES: usize = 16;
/// Alignments (over all references) that survive screening.
const SURVIVORS: usize = 2000;

/// Tuning of [`identify_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifyOptions {
    /// Highest bit error rate accepted as a match.
    pub max_ber: f64,
    /// Highest bit error rate accepted in the worst third of the overlap.
    pub max_third_ber: f64,
    /// Least overlap between query and reference, in seconds; at least 85 % of the shorter
    /// of the two must overlap too. Shorter queries or references never match.
    pub min_overlap_s: f64,
    /// Number of references the coarse search hands to the fine search.
    pub candidates: usize,
}

impl Default for IdentifyOptions {
    fn default() -> Self {
        Self {
            max_ber: 0.36,
            max_third_ber: 0.40,
            min_overlap_s: 1.5,
            candidates: 8,
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
            .filter(|&i| base.weights[i] >= 200)
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
        let screen = (0..take)
            .map(|j| sel[j * sel.len() / take])
            .map(|i| (i as i64, base.frames[i], base.masks[i]))
            .collect();
        Some(Self {
            phases,
            coarse,
            span,
            coarse_bits,
            screen,
        })
    }

    fn len(&self) -> usize {
        self.phases[0].0.frames.len()
    }
}

fn min_overlap_frames(q: usize, r: usize, opts: &IdentifyOptions) -> usize {
    let want = (opts.min_overlap_s / HOP_S).round() as usize;
    let shorter = q.min(r) as f64;
    want.max((shorter * 0.85) as usize).max(4)
}

/// Best coarse alignment of the query's selected frames against one reference:
/// (bit error rate, offset in frames).
fn coarse_scan(query: &Query, r: &[u32], min_overlap: usize) -> Option<(f64, i64)> {
    let (qn, rn) = (query.len() as i64, r.len() as i64);
    let (first, last) = query.span;
    let mut best: Option<(f64, i64)> = None;
    let k_min = -(qn - min_overlap as i64);
    let k_max = rn - min_overlap as i64;
    let need = (query.coarse_bits / 2).min(8 * BITS as u32);
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
        let ber = f64::from(dist) / f64::from(bits);
        if best.is_none_or(|(b, _)| ber < b) {
            best = Some((ber, k));
        }
    }
    best
}

/// Screening pass: scores every alignment of `r` on the query's few screening frames and
/// offers each to `heap` (which keeps the best `SURVIVORS`, worst on top).
fn screen(
    query: &Query,
    n: usize,
    r: &[u32],
    min_overlap: usize,
    dist: &mut Vec<u32>,
    heap: &mut std::collections::BinaryHeap<(u32, usize, i64)>,
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
        // Contiguous on both sides, so this loop vectorises.
        for (d, &rv) in ds.iter_mut().zip(rs) {
            *d += ((qv ^ rv) & m).count_ones();
        }
    }
    let full: u32 = query.screen.iter().map(|s| s.2.count_ones()).sum();
    // Positions where every screening frame falls inside the reference.
    let (i_first, i_last) = match (query.screen.first(), query.screen.last()) {
        (Some(a), Some(b)) => (a.0, b.0),
        _ => return,
    };
    let inner = (-i_first)..=(rn - 1 - i_last);
    for (p, &d) in dist.iter().enumerate() {
        let k = k_min + p as i64;
        let b = if inner.contains(&k) {
            full
        } else {
            query
                .screen
                .iter()
                .filter(|s| (0..rn).contains(&(s.0 + k)))
                .map(|s| s.2.count_ones())
                .sum()
        };
        if b * 2 < full || b == 0 {
            continue;
        }
        // BER in 1/65536 steps, so the heap orders integers.
        let score = (d << 16) / b;
        if heap.len() < SURVIVORS {
            heap.push((score, n, k));
        } else if heap.peek().is_some_and(|top| score < top.0) {
            heap.pop();
            heap.push((score, n, k));
        }
    }
}

/// BER of the query's coarse frames against `r` at frame offset `k`.
fn coarse_at(query: &Query, r: &[u32], k: i64) -> Option<f64> {
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

/// Weighted bit error rate of `q` against `r` at frame offset `k`: (BER, overlap in
/// frames, worst BER of the overlap's thirds).
fn fine_ber(q: &Fingerprint, r: &Fingerprint, k: i64) -> Option<(f64, usize, f64)> {
    let lo = 0i64.max(-k);
    let hi = (q.frames.len() as i64).min(r.frames.len() as i64 - k);
    if hi <= lo {
        return None;
    }
    let mut parts = [(0u64, 0u64); 3];
    let len = (hi - lo) as usize;
    for i in lo..hi {
        let j = (i + k) as usize;
        let part = &mut parts[((i - lo) as usize * 3 / len).min(2)];
        let i = i as usize;
        let w = u64::from(q.weights[i].min(r.weights[j]));
        let m = q.masks[i] & r.masks[j];
        part.0 += w * u64::from(((q.frames[i] ^ r.frames[j]) & m).count_ones());
        part.1 += w * u64::from(m.count_ones());
    }
    let (num, den) = parts.iter().fold((0, 0), |a, p| (a.0 + p.0, a.1 + p.1));
    if den < 255 * 8 * 8 {
        return None;
    }
    let worst = parts
        .iter()
        .filter(|p| p.1 >= 255 * 8 * 4)
        .map(|p| p.0 as f64 / p.1 as f64)
        .fold(0.0, f64::max);
    Some((num as f64 / den as f64, len, worst))
}

/// Fine alignment around coarse frame offset `k`: (ber, offset_s, overlap frames, worst
/// third's BER).
fn refine(query: &Query, r: &Fingerprint, k: i64) -> Option<(f64, f64, usize, f64)> {
    // Candidate offsets in seconds at PHASES steps per hop, with their BER.
    let mut track: Vec<(f64, f64, usize, f64)> = Vec::with_capacity(5 * PHASES);
    for dk in -2..=2 {
        for (fp, shift) in &query.phases {
            if let Some((ber, overlap, worst)) = fine_ber(fp, r, k + dk) {
                let offset = (k + dk) as f64 * HOP_S - shift;
                track.push((offset, ber, overlap, worst));
            }
        }
    }
    track.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (pos, &(offset, ber, overlap, worst)) = track
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.1.total_cmp(&b.1.1))?;
    // Parabolic interpolation of the BER minimum between neighbouring phases.
    let step = HOP_S / PHASES as f64;
    let mut refined = offset;
    if pos > 0 && pos + 1 < track.len() {
        let (y0, y1, y2) = (track[pos - 1].1, ber, track[pos + 1].1);
        let denom = y0 - 2.0 * y1 + y2;
        if denom > 1e-9 {
            refined += (0.5 * (y0 - y2) / denom).clamp(-0.5, 0.5) * step;
        }
    }
    Some((ber, refined, overlap, worst))
}

/// Confidence from a bit error rate over `overlap_frames` frames: 0 at the acceptance
/// threshold and above, approaching 1 far below it.
fn confidence(ber: f64, overlap_frames: usize, max_ber: f64) -> f64 {
    if ber >= max_ber {
        return 0.0;
    }
    // Bits of neighbouring frames are correlated; count about one independent bit in four.
    let eff_bits = (overlap_frames * BITS) as f64 / 4.0;
    let sigma = 0.5 / eff_bits.max(1.0).sqrt();
    let z = (max_ber - ber) / sigma;
    (1.0 - (-z / 2.0).exp()).clamp(0.0, 1.0)
}

/// Identifies which reference of `index` the recording `samples` (at `rate` Hz) carries,
/// with default options.
pub fn identify(index: &Index, samples: &[f32], rate: u32) -> Identification {
    identify_with(index, samples, rate, &IdentifyOptions::default())
}

/// Identifies which reference of `index` the recording `samples` (at `rate` Hz) carries.
pub fn identify_with(
    index: &Index,
    samples: &[f32],
    rate: u32,
    opts: &IdentifyOptions,
) -> Identification {
    let Some(query) = Query::new(samples, rate) else {
        return Identification::none();
    };
    let mut heap = std::collections::BinaryHeap::with_capacity(SURVIVORS + 1);
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
                &mut heap,
            );
        }
    }
    // Survivors, scored on every loud frame; the best alignment per reference.
    let mut best: Vec<Option<(f64, i64)>> = vec![None; index.len()];
    for (_, n, k) in heap.into_vec() {
        if let Some(ber) = coarse_at(&query, &index.entries()[n].fingerprint.frames, k)
            && best[n].is_none_or(|(b, _)| ber < b)
        {
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
    let mut fine: Vec<(f64, usize, f64, usize, f64)> = coarse
        .iter()
        .filter_map(|&(_, n, k)| {
            refine(&query, &index.entries()[n].fingerprint, k).map(|(b, o, ov, w)| (b, n, o, ov, w))
        })
        .collect();
    fine.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(&(ber, n, offset_s, overlap, worst)) = fine.first() else {
        return Identification::none();
    };
    let name = index.entries()[n].name.clone();
    let accepted = ber <= opts.max_ber && worst <= opts.max_third_ber;
    Identification {
        matched: accepted.then(|| name.clone()),
        offset_ms: accepted.then_some(offset_s * 1000.0),
        confidence: if accepted {
            confidence(ber, overlap, opts.max_ber)
        } else {
            0.0
        },
        ber,
        nearest: Some(name),
        overlap_s: overlap as f64 * HOP_S,
        worst_third_ber: worst,
    }
}

/// Aligns a recording (`samples` at `rate` Hz) with one reference fingerprint; `None` when
/// they do not match (BER above `opts.max_ber`) or cannot be compared.
pub fn align(
    reference: &Fingerprint,
    samples: &[f32],
    rate: u32,
    opts: &IdentifyOptions,
) -> Option<Alignment> {
    let query = Query::new(samples, rate)?;
    let min_ov = min_overlap_frames(query.len(), reference.frames.len(), opts);
    let (_, k) = coarse_scan(&query, &reference.frames, min_ov)?;
    let (ber, offset_s, overlap, worst) = refine(&query, reference, k)?;
    let confidence = confidence(ber, overlap, opts.max_ber);
    (ber <= opts.max_ber && worst <= opts.max_third_ber).then_some(Alignment {
        offset_s,
        ber,
        overlap_s: overlap as f64 * HOP_S,
        confidence,
    })
}
