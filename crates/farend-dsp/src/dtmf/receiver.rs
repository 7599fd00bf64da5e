//! The receiver fed in pieces: stage one as the audio arrives, stage two at the end on the
//! few blocks stage one kept, so a long recording never has to be held whole.

use std::collections::BTreeMap;

use super::blocks::{BLOCK, BlockClassifier};
use super::validate::validate_region;
use super::{DtmfConfig, DtmfEvent, DtmfResult};

/// Blocks stage two sees before and after a run of blocks that look like a digit: enough
/// to find where each of the two tones really starts and stops (a note of music that began
/// long before the other must not pass for the start of a digit).
const MARGIN_BLOCKS: usize = 3;
/// Blocks kept on each side of a block that looks like a digit: the margin, and one more
/// for runs of one digit a block apart, which stage two takes together.
const KEEP_AROUND: usize = MARGIN_BLOCKS + 1;
/// Recent blocks held back in case a later block turns out to look like a digit.
const HISTORY: usize = KEEP_AROUND + 3;

/// A DTMF receiver for 8 kHz audio fed in pieces of any length.
///
/// `push` the audio (or `push_i16`), then `finish` for the digits; the result is the same as
/// [`super::detect_dtmf_with`] on the whole recording.
pub struct DtmfReceiver {
    cfg: DtmfConfig,
    classifier: BlockClassifier,
    /// Samples of the pair of blocks being filled.
    pending: Vec<f32>,
    /// The last `HISTORY` blocks, block `b` at `(b % HISTORY) · BLOCK`.
    history: Vec<f32>,
    /// Whether the previous pair's even block looked like a digit (then its odd one was seen).
    previous_even_hit: bool,
    /// Stage-one result of every block so far.
    results: Vec<Option<u8>>,
    /// Blocks stage two will need, by block index.
    wanted: Vec<bool>,
    kept: BTreeMap<usize, Vec<f32>>,
    /// Samples pushed so far.
    total: usize,
}

impl DtmfReceiver {
    /// A receiver with the limits of `cfg`.
    pub fn new(cfg: DtmfConfig) -> Self {
        Self {
            classifier: BlockClassifier::new(&cfg),
            cfg,
            pending: Vec::with_capacity(2 * BLOCK),
            history: vec![0.0; HISTORY * BLOCK],
            previous_even_hit: false,
            results: Vec::new(),
            wanted: Vec::new(),
            kept: BTreeMap::new(),
            total: 0,
        }
    }

    /// Feeds 8 kHz samples (−1.0..1.0).
    pub fn push(&mut self, mut samples: &[f32]) {
        self.total += samples.len();
        while !samples.is_empty() {
            let take = (2 * BLOCK - self.pending.len()).min(samples.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.pending.len() == 2 * BLOCK {
                self.process_pair();
            }
        }
    }

    /// Feeds 8 kHz 16-bit samples.
    pub fn push_i16(&mut self, samples: &[i16]) {
        let mut buf = [0.0f32; 1024];
        for chunk in samples.chunks(buf.len()) {
            for (b, &s) in buf.iter_mut().zip(chunk) {
                *b = f32::from(s) * (1.0 / 32768.0);
            }
            self.push(&buf[..chunk.len()]);
        }
    }

    /// Index of the first block of `pending`.
    fn pair_index(&self) -> usize {
        self.results.len()
    }

    /// Stage one on a full pair of blocks: the even block always, its neighbours (the odd
    /// block before, the odd block after) only when the even block looks like a digit. A digit
    /// needs two agreeing blocks in a row, and one of any two neighbours is even.
    fn process_pair(&mut self) {
        let k = self.pair_index();
        let even = self.classifier.classify(&self.pending[..BLOCK]);
        let mut odd = None;
        if even.is_some() {
            self.look_back(k);
            odd = self.classifier.classify(&self.pending[BLOCK..]);
        }
        self.results.extend([even, odd]);
        self.wanted.extend([false, false]);
        for (i, r) in [(k, even), (k + 1, odd)] {
            if r.is_some() {
                self.want_around(i);
            }
        }
        self.previous_even_hit = even.is_some();
        self.remember_pending(k);
        self.keep_wanted();
        self.pending.clear();
    }

    /// Classifies the odd block before the even block `k`, unless that was done already.
    fn look_back(&mut self, k: usize) {
        if k >= 1 && !self.previous_even_hit {
            let before = self.classifier.classify(self.history_block(k - 1));
            self.set_result(k - 1, before);
        }
    }

    fn history_block(&self, b: usize) -> &[f32] {
        let at = (b % HISTORY) * BLOCK;
        &self.history[at..at + BLOCK]
    }

    /// Copies the blocks of `pending` (the first one is block `k`) into the history.
    fn remember_pending(&mut self, k: usize) {
        for (j, block) in self.pending.chunks(BLOCK).enumerate() {
            let at = ((k + j) % HISTORY) * BLOCK;
            self.history[at..at + block.len()].copy_from_slice(block);
        }
    }

    fn set_result(&mut self, block: usize, r: Option<u8>) {
        self.results[block] = r;
        if r.is_some() {
            self.want_around(block);
        }
    }

    fn want_around(&mut self, block: usize) {
        let last = block + KEEP_AROUND;
        if self.wanted.len() <= last {
            self.wanted.resize(last + 1, false);
        }
        for w in &mut self.wanted[block.saturating_sub(KEEP_AROUND)..=last] {
            *w = true;
        }
    }

    /// Keeps the wanted blocks still in the history (block `results.len() - 1` is the last).
    fn keep_wanted(&mut self) {
        let end = self.results.len();
        for b in end.saturating_sub(HISTORY)..end {
            if self.wanted.get(b) == Some(&true) && !self.kept.contains_key(&b) {
                let block = self.history_block(b).to_vec();
                self.kept.insert(b, block);
            }
        }
    }

    /// Classifies what is left, runs stage two on the candidates and returns the digits.
    pub fn finish(mut self) -> DtmfResult {
        let k = self.pair_index();
        if self.pending.len() >= BLOCK {
            let even = self.classifier.classify(&self.pending[..BLOCK]);
            if even.is_some() {
                self.look_back(k);
            }
            self.results.push(even);
            self.wanted.push(false);
            if even.is_some() {
                self.want_around(k);
            }
        }
        // The last, partial block counts as a block of its own here.
        let tail = self.total - k * BLOCK;
        if tail > 0 {
            for b in [k, k + 1] {
                self.history[(b % HISTORY) * BLOCK..][..BLOCK].fill(0.0);
            }
            self.remember_pending(k);
            self.results.resize(self.total.div_ceil(BLOCK), None);
        }
        self.wanted.resize(self.results.len(), false);
        self.keep_wanted();
        let mut events = Vec::new();
        for (d, start, end) in candidate_regions(&self.results, self.total) {
            let seg = self.samples(start, end);
            validate_region(&seg, start, d, &self.cfg, &mut events);
        }
        into_result(events)
    }

    /// The kept samples from `start` to `end` (silence where nothing was kept).
    fn samples(&self, start: usize, end: usize) -> Vec<f32> {
        let mut seg = vec![0.0f32; end - start];
        for (&b, block) in self.kept.range(start / BLOCK..=(end - 1) / BLOCK) {
            let (b0, b1) = (b * BLOCK, b * BLOCK + block.len());
            let (s, e) = (b0.max(start), b1.min(end));
            if s < e {
                seg[s - start..e - start].copy_from_slice(&block[s - b0..e - b0]);
            }
        }
        seg
    }
}

/// Runs of at least two blocks that look like the same digit, widened by `MARGIN_BLOCKS` on
/// each side and joined when one digit's runs touch: (digit, first sample, end sample).
fn candidate_regions(blocks: &[Option<u8>], len: usize) -> Vec<(u8, usize, usize)> {
    let mut regions: Vec<(u8, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let Some(d) = blocks[i] else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < blocks.len() && blocks[j] == Some(d) {
            j += 1;
        }
        if j - i >= 2 {
            let start = i.saturating_sub(MARGIN_BLOCKS) * BLOCK;
            let end = ((j + MARGIN_BLOCKS) * BLOCK).min(len);
            match regions.last_mut() {
                Some(last) if last.0 == d && last.2 + BLOCK >= start => last.2 = end,
                _ => regions.push((d, start, end)),
            }
        }
        i = j;
    }
    regions
}

/// Events in time order; of two that describe the same stretch of audio, the first.
fn into_result(mut events: Vec<DtmfEvent>) -> DtmfResult {
    events.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
    let mut kept: Vec<DtmfEvent> = Vec::with_capacity(events.len());
    for e in events {
        if kept.last().is_some_and(|k| e.start_ms < k.end_ms) {
            continue;
        }
        kept.push(e);
    }
    DtmfResult {
        digits: kept.iter().map(|e| e.digit).collect(),
        events: kept,
    }
}
