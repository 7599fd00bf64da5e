//! Searching an index: which reference a recording carries, at what offset.

use super::{BITS, Extractor, Fingerprint, HOP_S, Index};

/// Number of sub-frame phases the query is fingerprinted at (offset resolution HOP_S / PHASES).
const PHASES: usize = 4;

/// Tuning of [`identify_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifyOptions {
    /// Highest bit error rate accepted as a match.
    pub max_ber: f64,
    /// Least overlap between query and reference, in seconds (capped by the shorter one).
    pub min_overlap_s: f64,
    /// Number of references the coarse search hands to the fine search.
    pub candidates: usize,
}

impl Default for IdentifyOptions {
    fn default() -> Self {
        Self { max_ber: 0.36, min_overlap_s: 1.5, candidates: 8 }
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
}

impl Identification {
    fn none() -> Self {
        Self { matched: None, offset_ms: None, confidence: 0.0, ber: 0.5, nearest: None, overlap_s: 0.0 }
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
    /// Indices of phase-0 frames used by the coarse scan.
    coarse: Vec<u32>,
}

impl Query {
    fn new(samples: &[f32], rate: u32) -> Option<Self> {
        let mut ex = Extractor::new(rate).ok()?;
        let hop = HOP_S * f64::from(rate);
        let phases: Vec<(Fingerprint, f64)> = (0..PHASES)
            .map(|p| {
                let shift = (p as f64 * hop / PHASES as f64).round() as usize;
                let fp = ex.extract(samples.get(shift..).unwrap_or(&[]));
                (fp, shift as f64 / f64::from(rate))
            })
            .collect();
        let base = &phases[0].0;
        let loud: Vec<u32> =
            (0..base.frames.len() as u32).filter(|&i| base.weights[i as usize] >= 200).collect();
        // Every third loud frame: about 1/3 of the work, and frames 48 ms apart are
        // nearly independent, so little evidence is lost.
        let coarse: Vec<u32> = loud.iter().copied().step_by(3).collect();
        if base.frames.len() < 8 || coarse.len() < 4 {
            return None;
        }
        Some(Self { phases, coarse })
    }

    fn len(&self) -> usize {
        self.phases[0].0.frames.len()
    }
}

fn min_overlap_frames(q: usize, r: usize, opts: &IdentifyOptions) -> usize {
    let want = (opts.min_overlap_s / HOP_S).round() as usize;
    let cap = (q.min(r) as f64 * 0.9) as usize;
    want.min(cap).max(4)
}

/// Best coarse alignment of the query's selected frames against one reference:
/// (bit error rate, offset in frames).
fn coarse_scan(q: &[u32], sel: &[u32], r: &[u32], min_overlap: usize) -> Option<(f64, i64)> {
    let (qn, rn) = (q.len() as i64, r.len() as i64);
    let (first, last) = (sel[0] as i64, *sel.last()? as i64);
    let mut best: Option<(f64, i64)> = None;
    let k_min = -(qn - min_overlap as i64);
    let k_max = rn - min_overlap as i64;
    let picked: Vec<u32> = sel.iter().map(|&i| q[i as usize]).collect();
    for k in k_min..=k_max {
        let (dist, count) = if k + first >= 0 && k + last < rn {
            // All selected frames fall inside the reference.
            let base = &r[(k + first) as usize..=(k + last) as usize];
            let mut d = 0u32;
            for (&i, &qv) in sel.iter().zip(&picked) {
                d += (qv ^ base[(i as i64 - first) as usize]).count_ones();
            }
            (d, sel.len())
        } else {
            let mut d = 0u32;
            let mut c = 0usize;
            for (&i, &qv) in sel.iter().zip(&picked) {
                let j = i as i64 + k;
                if (0..rn).contains(&j) {
                    d += (qv ^ r[j as usize]).count_ones();
                    c += 1;
                }
            }
            (d, c)
        };
        if count * 2 < sel.len().min(8) || count < 3 {
            continue;
        }
        let ber = f64::from(dist) / (BITS * count) as f64;
        if best.is_none_or(|(b, _)| ber < b) {
            best = Some((ber, k));
        }
    }
    best
}

/// Weighted bit error rate of `q` against `r` at frame offset `k`, and the overlap in frames.
fn fine_ber(q: &Fingerprint, r: &Fingerprint, k: i64) -> Option<(f64, usize)> {
    let lo = 0i64.max(-k);
    let hi = (q.frames.len() as i64).min(r.frames.len() as i64 - k);
    if hi <= lo {
        return None;
    }
    let (mut num, mut den) = (0u64, 0u64);
    for i in lo..hi {
        let j = (i + k) as usize;
        let i = i as usize;
        let w = u64::from(q.weights[i].min(r.weights[j]));
        num += w * u64::from((q.frames[i] ^ r.frames[j]).count_ones());
        den += w;
    }
    if den < 255 * 8 {
        return None;
    }
    Some((num as f64 / (den as f64 * BITS as f64), (hi - lo) as usize))
}

/// Fine alignment around coarse frame offset `k`: (ber, offset_s, overlap frames).
fn refine(query: &Query, r: &Fingerprint, k: i64) -> Option<(f64, f64, usize)> {
    // Candidate offsets in seconds at PHASES steps per hop, with their BER.
    let mut track: Vec<(f64, f64, usize)> = Vec::with_capacity(5 * PHASES);
    for dk in -2..=2 {
        for (fp, shift) in &query.phases {
            if let Some((ber, overlap)) = fine_ber(fp, r, k + dk) {
                let offset = (k + dk) as f64 * HOP_S - shift;
                track.push((offset, ber, overlap));
            }
        }
    }
    track.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (pos, &(offset, ber, overlap)) =
        track.iter().enumerate().min_by(|a, b| a.1.1.total_cmp(&b.1.1))?;
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
    Some((ber, refined, overlap))
}

/// Confidence from a bit error rate over `bits` compared bits: 0 at chance, 1 when the
/// BER is far below what any wrong alignment reaches.
fn confidence(ber: f64, overlap_frames: usize, max_ber: f64) -> f64 {
    if ber >= max_ber {
        return 0.0;
    }
    // Bits of neighbouring frames are correlated; count about one independent bit in four.
    let eff_bits = (overlap_frames * BITS) as f64 / 4.0;
    let sigma = 0.5 / eff_bits.max(1.0).sqrt();
    let z = (0.5 - ber) / sigma;
    (1.0 - (-(z - 4.0).max(0.0) / 4.0).exp()).clamp(0.0, 1.0)
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
    let q0 = &query.phases[0].0.frames;
    let mut coarse: Vec<(f64, usize, i64)> = index
        .entries()
        .iter()
        .enumerate()
        .filter_map(|(n, e)| {
            let r = &e.fingerprint.frames;
            let min_ov = min_overlap_frames(query.len(), r.len(), opts);
            if r.len() < min_ov {
                return None;
            }
            coarse_scan(q0, &query.coarse, r, min_ov).map(|(ber, k)| (ber, n, k))
        })
        .collect();
    coarse.sort_by(|a, b| a.0.total_cmp(&b.0));
    coarse.truncate(opts.candidates.max(1));
    let mut fine: Vec<(f64, usize, f64, usize)> = coarse
        .iter()
        .filter_map(|&(_, n, k)| {
            refine(&query, &index.entries()[n].fingerprint, k).map(|(b, o, ov)| (b, n, o, ov))
        })
        .collect();
    fine.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(&(ber, n, offset_s, overlap)) = fine.first() else {
        return Identification::none();
    };
    let name = index.entries()[n].name.clone();
    let conf = confidence(ber, overlap, opts.max_ber);
    let accepted = ber <= opts.max_ber && conf > 0.0;
    Identification {
        matched: accepted.then(|| name.clone()),
        offset_ms: accepted.then_some(offset_s * 1000.0),
        confidence: if accepted { conf } else { 0.0 },
        ber,
        nearest: Some(name),
        overlap_s: overlap as f64 * HOP_S,
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
    let (_, k) = coarse_scan(&query.phases[0].0.frames, &query.coarse, &reference.frames, min_ov)?;
    let (ber, offset_s, overlap) = refine(&query, reference, k)?;
    let confidence = confidence(ber, overlap, opts.max_ber);
    (ber <= opts.max_ber).then_some(Alignment {
        offset_s,
        ber,
        overlap_s: overlap as f64 * HOP_S,
        confidence,
    })
}
