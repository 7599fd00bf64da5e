//! Fine delay of a stretch of speech (P.862 §10.1.3.2; Rix et al., Part I, §3.3): 64 ms Hann
//! windows with 75 % overlap are cross-correlated, each window votes for the lag of its
//! correlation peak with a weight that grows with the peak's strength, and the smoothed
//! histogram's maximum gives the delay; its share of all votes is the confidence.

use crate::spectrum::hann;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealToComplex};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// The vote of one window: the lag of its correlation peak and its weight.
#[derive(Clone, Copy, Debug)]
pub struct Vote {
    /// Lag in samples relative to the window's trial delay.
    pub lag: isize,
    /// Vote weight (0 for a window without correlation).
    pub weight: f64,
}

/// A vote without correlation.
const NO_VOTE: Vote = Vote {
    lag: 0,
    weight: 0.0,
};

/// A window's vote weighs the normalised correlation peak to the power 1/8 (computed as
/// three square roots, which costs less than a power).
fn vote_weight(peak: f64) -> f64 {
    peak.sqrt().sqrt().sqrt()
}

/// Cross-correlates windows of a reference and a degraded signal.
///
/// The utterance split search asks for the same windows, and the same votes, many times over,
/// so the spectrum of every window and every vote is computed once and kept.
pub struct WindowCorrelator<'a> {
    len: usize,
    window: Vec<f32>,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    input: Vec<f32>,
    product: Vec<Complex<f32>>,
    out: Vec<f32>,
    forward_scratch: Vec<Complex<f32>>,
    inverse_scratch: Vec<Complex<f32>>,
    reference: WindowSpectra<'a>,
    degraded: WindowSpectra<'a>,
    votes: HashMap<(isize, isize), Vote, BuildHasherDefault<PositionHasher>>,
}

impl<'a> WindowCorrelator<'a> {
    /// A correlator for windows of 64 ms at `rate` of `reference` against `degraded`.
    pub fn new(reference: &'a [f64], degraded: &'a [f64], rate: u32) -> Self {
        let len = window_len(rate);
        let forward = crate::spectrum::forward_single(correlation_len(len));
        let inverse = crate::spectrum::inverse_single(correlation_len(len));
        WindowCorrelator {
            len,
            window: hann(len).into_iter().map(|w| w as f32).collect(),
            input: forward.make_input_vec(),
            product: forward.make_output_vec(),
            out: inverse.make_output_vec(),
            forward_scratch: forward.make_scratch_vec(),
            inverse_scratch: inverse.make_scratch_vec(),
            reference: WindowSpectra::new(reference, len),
            degraded: WindowSpectra::new(degraded, len),
            votes: HashMap::default(),
            forward,
            inverse,
        }
    }

    /// Window length in samples.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Drops the window spectra and votes kept so far.
    pub fn forget(&mut self) {
        self.reference.forget();
        self.degraded.forget();
        self.votes.clear();
    }

    /// Votes of the 64 ms windows (hop 16 ms) centred in reference samples `start..=end` at
    /// the trial `delay`, written to `out`.
    ///
    /// The windows of every stretch lie on one 16 ms grid from the file's start, not on a grid
    /// from the stretch's own start: the text fixes the windows' length and overlap, not their
    /// origin, and the split search asks for hundreds of overlapping stretches, which then
    /// share their windows' votes. Against a grid from each stretch's start: `--list` time
    /// 0.70× on the 20 16 kHz Annex A pairs; Annex A mean |Δraw| 0.214 → 0.203 (8 kHz) and
    /// 0.255 → 0.253 (16 kHz), pairs within 0.05 9 → 12 and 10 → 8; the oracle corpus's mean
    /// |ΔMOS| within ±0.003 per group (PROVENANCE.md).
    pub fn votes(&mut self, start: usize, end: usize, delay: isize, out: &mut Vec<Vote>) {
        let half = (self.len / 2) as isize;
        let hop = (self.len / 4) as isize;
        out.clear();
        let mut at = (start.div_ceil(hop as usize) * hop as usize) as isize - half;
        while at + half <= end as isize {
            out.push(self.vote(at, delay));
            at += hop;
        }
    }

    /// The vote of the reference window at `start` against the degraded signal at
    /// `start + delay`, for lags within ±len/2.
    pub fn vote(&mut self, start: isize, delay: isize) -> Vote {
        if let Some(vote) = self.votes.get(&(start, delay)) {
            return *vote;
        }
        let vote = self.new_vote(start, delay);
        self.votes.insert((start, delay), vote);
        vote
    }

    fn new_vote(&mut self, start: isize, delay: isize) -> Vote {
        let mut transform = Transform {
            window: &self.window,
            forward: self.forward.as_ref(),
            input: &mut self.input,
            scratch: &mut self.forward_scratch,
        };
        let Some((energy_a, a)) = self.reference.spectrum(start, &mut transform) else {
            return NO_VOTE;
        };
        let Some((energy_b, b)) = self.degraded.spectrum(start + delay, &mut transform) else {
            return NO_VOTE;
        };
        let (fa, fb) = (self.reference.bins(a), self.degraded.bins(b));
        for ((p, x), y) in self.product.iter_mut().zip(fa).zip(fb) {
            *p = x.conj() * y;
        }
        let n = self.product.len();
        self.product[0].im = 0.0;
        self.product[n - 1].im = 0.0;
        // Lengths are fixed by construction, so the transform cannot fail.
        let _ = self.inverse.process_with_scratch(
            &mut self.product,
            &mut self.out,
            &mut self.inverse_scratch,
        );
        let (lag, value) = correlation_peak(&self.out, self.len / 2);
        let peak = f64::from(value) / self.out.len() as f64 / (energy_a * energy_b).sqrt();
        Vote {
            lag,
            weight: if peak > 0.0 { vote_weight(peak) } else { 0.0 },
        }
    }
}

/// Fine delay of stretches of the reference: window votes and their histogram.
pub struct FineDelay<'a> {
    correlator: WindowCorrelator<'a>,
    histogram: VoteHistogram,
    votes: Vec<Vote>,
}

impl<'a> FineDelay<'a> {
    /// Fine delays of `reference` in `degraded` at `rate`.
    pub fn new(reference: &'a [f64], degraded: &'a [f64], rate: u32) -> Self {
        let correlator = WindowCorrelator::new(reference, degraded, rate);
        let half = correlator.len() as isize / 2;
        FineDelay {
            correlator,
            histogram: VoteHistogram::new(half, rate),
            votes: Vec::new(),
        }
    }

    /// Drops the windows and votes kept so far: once an utterance is aligned, its windows are
    /// not asked for again, and their memory serves the next utterance.
    pub fn forget(&mut self) {
        self.correlator.forget();
    }

    /// Lag (relative to the trial `delay`) and confidence of reference samples `start..end`;
    /// `None` when no window votes.
    pub fn lag(&mut self, start: usize, end: usize, delay: isize) -> Option<(isize, f64)> {
        self.correlator.votes(start, end, delay, &mut self.votes);
        self.histogram.peak(&self.votes)
    }
}

/// Lag and value of the largest circular correlation value within ±`half` lags; of equal
/// values, the one of the smallest lag.
fn correlation_peak(out: &[f32], half: usize) -> (isize, f32) {
    let full = out.len();
    // Lags -half..=-1 sit at the end of the circular correlation, 0..=half at its start.
    let (positive, negative) = (&out[..=half], &out[full - half..]);
    // The largest value first, in independent lanes so that the search vectorises; then
    // the first lag holding it.
    let (negative_peak, positive_peak) = (lane_max(negative), lane_max(positive));
    if negative_peak >= positive_peak {
        let i = first_position(negative, negative_peak);
        (i as isize - half as isize, negative_peak)
    } else {
        (
            first_position(positive, positive_peak) as isize,
            positive_peak,
        )
    }
}

/// Index of the first of `values` equal to `target` (0 when none), looked for eight at a
/// time so that the comparisons vectorise.
fn first_position(values: &[f32], target: f32) -> usize {
    const LANES: usize = 8;
    let mut chunks = values.chunks_exact(LANES);
    let mut offset = 0;
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &v| any | (v == target)) {
            break;
        }
        offset += LANES;
    }
    values[offset..]
        .iter()
        .position(|&v| v == target)
        .map_or(0, |i| offset + i)
}

/// The largest of `values` (which hold no NaN), or `f32::MIN` for none.
fn lane_max(values: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut lanes = [f32::MIN; LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = if v > *lane { v } else { *lane };
        }
    }
    let rest = chunks.remainder().iter().fold(f32::MIN, |m, &v| m.max(v));
    lanes.iter().fold(rest, |m, &v| m.max(v))
}

/// What transforming one window needs: the window, the plan and its buffers.
struct Transform<'t> {
    window: &'t [f32],
    forward: &'t dyn RealToComplex<f32>,
    input: &'t mut [f32],
    scratch: &'t mut [Complex<f32>],
}

/// Hashes vote keys (two sample positions) with a multiply per position: the keys are
/// small integers, and the default hasher's guard against chosen keys is not needed here.
#[derive(Default)]
struct PositionHasher(u64);

impl Hasher for PositionHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_isize(&mut self, value: isize) {
        self.write_u64(value as u64);
    }

    fn finish(&self) -> u64 {
        // Positions are multiples of a block, so the low bits need the high bits folded in.
        self.0 ^ (self.0 >> 32)
    }
}

thread_local! {
    /// Window spectra buffers of earlier alignments on this thread: reused, so that every
    /// call does not ask the system for (and have it clear) tens of megabytes again.
    static SPARE_BUFFERS: RefCell<Vec<Vec<Complex<f32>>>> = const { RefCell::new(Vec::new()) };
}

/// How many spare window spectra buffers a thread keeps: 3 MB at 8 kHz, 6 MB at 16 kHz.
const MAX_SPARE_BUFFERS: usize = 1024;

/// Energies and spectra of the zero-padded Hann windows of one signal, computed on first use.
struct WindowSpectra<'a> {
    signal: &'a [f64],
    len: usize,
    /// Slot + 1 of the window starting at `position + len`, 0 when not computed yet.
    slots: Vec<u32>,
    /// Indices of `slots` that are set.
    filled: Vec<usize>,
    energies: Vec<f64>,
    /// Half a transform plus one bins per slot (none for a window without energy).
    bins: Vec<Vec<Complex<f32>>>,
}

impl<'a> WindowSpectra<'a> {
    fn new(signal: &'a [f64], len: usize) -> Self {
        WindowSpectra {
            signal,
            len,
            slots: vec![0; signal.len() + len],
            filled: Vec::new(),
            energies: Vec::new(),
            bins: Vec::new(),
        }
    }

    /// Energy and slot of the window at `start`; `None` for a window without energy.
    fn spectrum(&mut self, start: isize, transform: &mut Transform) -> Option<(f64, usize)> {
        // Windows wholly outside the signal are silent.
        let index = usize::try_from(start + self.len as isize)
            .ok()
            .filter(|&i| i < self.slots.len())?;
        let slot = match self.slots[index] {
            0 => self.compute(start, index, transform),
            filled => filled as usize - 1,
        };
        let energy = self.energies[slot];
        (energy > 0.0).then_some((energy, slot))
    }

    fn compute(&mut self, start: isize, index: usize, transform: &mut Transform) -> usize {
        let len = self.len;
        windowed(
            self.signal,
            start,
            transform.window,
            &mut transform.input[..len],
        );
        let energy = transform.input[..len]
            .iter()
            .fold(0.0, |e, &v| e + f64::from(v) * f64::from(v));
        transform.input[len..].fill(0.0);
        let mut bins = Vec::new();
        if energy > 0.0 {
            bins = SPARE_BUFFERS
                .with(|spare| spare.borrow_mut().pop())
                .unwrap_or_default();
            bins.resize(transform.input.len() / 2 + 1, Complex::default());
            // Lengths are fixed by construction, so the transform cannot fail.
            let _ = transform.forward.process_with_scratch(
                transform.input,
                &mut bins,
                transform.scratch,
            );
        }
        let slot = self.energies.len();
        self.energies.push(energy);
        self.bins.push(bins);
        self.slots[index] = (slot + 1) as u32;
        self.filled.push(index);
        slot
    }

    fn bins(&self, slot: usize) -> &[Complex<f32>] {
        &self.bins[slot]
    }

    /// Drops every spectrum, keeping their buffers for reuse.
    fn forget(&mut self) {
        for &index in &self.filled {
            self.slots[index] = 0;
        }
        self.filled.clear();
        self.energies.clear();
        let used = self.bins.drain(..).filter(|b| b.capacity() > 0);
        SPARE_BUFFERS.with(|spare| {
            let mut spare = spare.borrow_mut();
            let room = MAX_SPARE_BUFFERS.saturating_sub(spare.len());
            spare.extend(used.take(room));
        });
    }
}

impl Drop for WindowSpectra<'_> {
    fn drop(&mut self) {
        self.forget();
    }
}

/// Writes `signal[at..at + window.len()]` times `window` into `out`; samples outside the
/// signal count as zero.
fn windowed(signal: &[f64], at: isize, window: &[f32], out: &mut [f32]) {
    let len = window.len() as isize;
    let first = at.clamp(0, signal.len() as isize);
    let last = (at + len).clamp(0, signal.len() as isize);
    out.fill(0.0);
    if first < last {
        let offset = (first - at) as usize;
        let inside = &signal[first as usize..last as usize];
        for ((slot, &v), &w) in out[offset..].iter_mut().zip(inside).zip(&window[offset..]) {
            *slot = v as f32 * w;
        }
    }
}

/// Window length: 64 ms.
pub fn window_len(rate: u32) -> usize {
    rate as usize * 64 / 1000
}

/// Length of the circular correlation of two windows of `len` samples: 1.5 `len`. Only lags
/// within ±`len`/2 are read, and their aliases lie at least `len` away, where two windows of
/// `len` samples no longer overlap, so the values read equal the linear correlation's while
/// the transforms are a quarter shorter than the usual 2 `len`.
fn correlation_len(len: usize) -> usize {
    len * 3 / 2
}

/// The smoothed histogram of window votes, with buffers kept between calls.
pub struct VoteHistogram {
    half_range: isize,
    spread: isize,
    /// Summed weight per lag bin; zero outside the bins of the current call.
    bins: Vec<f64>,
    /// Bins holding a vote in the current call.
    filled: Vec<usize>,
}

impl VoteHistogram {
    /// A histogram of lags within ±`half_range` at `rate`.
    pub fn new(half_range: isize, rate: u32) -> Self {
        VoteHistogram {
            half_range,
            spread: (rate as isize / 1000).max(1),
            bins: vec![0.0; (2 * half_range + 1) as usize],
            filled: Vec::new(),
        }
    }

    /// Delay and confidence from a set of votes: triangular smoothing of the lag histogram
    /// over ±1 ms, then its peak.
    pub fn peak(&mut self, votes: &[Vote]) -> Option<(isize, f64)> {
        let total = self.fill(votes);
        let best = (total > 0.0).then(|| self.smoothed_peak());
        for &j in &self.filled {
            self.bins[j] = 0.0;
        }
        let (bin, value) = best?;
        Some((bin as isize - self.half_range, value / total))
    }

    /// Adds the votes up per bin (in vote order) and returns their total weight.
    fn fill(&mut self, votes: &[Vote]) -> f64 {
        self.filled.clear();
        let mut total = 0.0;
        for v in votes {
            if v.weight > 0.0 && v.lag.abs() <= self.half_range {
                let j = (v.lag + self.half_range) as usize;
                if self.bins[j] == 0.0 {
                    self.filled.push(j);
                }
                self.bins[j] += v.weight;
                total += v.weight;
            }
        }
        self.filled.sort_unstable();
        total
    }

    /// The bin with the largest smoothed weight (the first of equals) and that weight.
    fn smoothed_peak(&self) -> (usize, f64) {
        let spread = self.spread;
        let size = self.bins.len();
        let mut best = (0usize, f64::MIN);
        // Only bins within the smoothing spread of a vote can hold the peak; bins without a
        // vote add nothing to a sum, so only the filled ones are visited.
        let mut next = 0usize;
        let mut first_near = 0usize;
        for &j in &self.filled {
            let from = (j as isize - spread).max(0) as usize;
            let to = ((j as isize + spread) as usize).min(size - 1);
            for i in from.max(next)..=to {
                while (self.filled[first_near] as isize) < i as isize - spread {
                    first_near += 1;
                }
                let mut s = 0.0;
                for &k in &self.filled[first_near..] {
                    let offset = k as isize - i as isize;
                    if offset > spread {
                        break;
                    }
                    s += self.bins[k] * (spread + 1 - offset.abs()) as f64 / (spread + 1) as f64;
                }
                if s > best.1 {
                    best = (i, s);
                }
            }
            next = next.max(to + 1);
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward smoothing every bin at every offset, for comparison.
    fn dense_peak(votes: &[Vote], half_range: isize, rate: u32) -> Option<(isize, f64)> {
        let size = (2 * half_range + 1) as usize;
        let mut histogram = vec![0.0; size];
        let mut total = 0.0;
        for v in votes {
            if v.weight > 0.0 && v.lag.abs() <= half_range {
                histogram[(v.lag + half_range) as usize] += v.weight;
                total += v.weight;
            }
        }
        if total <= 0.0 {
            return None;
        }
        let spread = (rate as isize / 1000).max(1);
        let mut best = (0usize, f64::MIN);
        for i in 0..size {
            let mut s = 0.0;
            for k in -spread..=spread {
                let j = i as isize + k;
                if j >= 0 && (j as usize) < size {
                    s +=
                        histogram[j as usize] * (spread + 1 - k.abs()) as f64 / (spread + 1) as f64;
                }
            }
            if s > best.1 {
                best = (i, s);
            }
        }
        Some((best.0 as isize - half_range, best.1 / total))
    }

    #[test]
    fn sparse_smoothing_finds_the_dense_peak_exactly() {
        let mut histogram = VoteHistogram::new(256, 8000);
        let mut seed = 7u32;
        for round in 0..200 {
            let votes: Vec<Vote> = (0..(round % 40))
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let lag =
                        (seed >> 16) as isize % 40 - 20 + if round % 3 == 0 { 250 } else { 0 };
                    let weight = ((seed >> 8) & 0xff) as f64 / 255.0;
                    Vote { lag, weight }
                })
                .collect();
            assert_eq!(
                histogram.peak(&votes),
                dense_peak(&votes, 256, 8000),
                "round {round}"
            );
        }
    }

    #[test]
    fn correlation_peak_is_the_first_largest_in_lag_order() {
        let mut seed = 3u32;
        for round in 0..100 {
            // Few distinct values, so that equal peaks are common.
            let out: Vec<f32> = (0..64)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    ((seed >> 16) % (3 + round % 5)) as f32
                })
                .collect();
            let half = 16 + round as usize % 16;
            let lags = (-(half as isize)..=half as isize)
                .map(|lag| (lag, out[lag.rem_euclid(64) as usize]));
            let expected = lags.fold(
                (0, f32::MIN),
                |best, (lag, v)| if v > best.1 { (lag, v) } else { best },
            );
            assert_eq!(correlation_peak(&out, half), expected, "round {round}");
        }
    }

    #[test]
    fn a_delayed_copy_votes_for_its_delay() {
        let signal: Vec<f64> = (0..4000)
            .map(|i| ((i * 7919) % 1000) as f64 - 500.0)
            .collect();
        let mut delayed = vec![0.0; 10];
        delayed.extend_from_slice(&signal);
        let mut correlator = WindowCorrelator::new(&signal, &delayed, 8000);
        let vote = correlator.vote(1000, 0);
        assert_eq!(vote.lag, 10);
        assert!(vote.weight > 0.99, "{}", vote.weight);
        assert_eq!(correlator.vote(1000, 4).lag, 6);
        assert_eq!(correlator.vote(-600, 0).weight, 0.0);
    }
}
