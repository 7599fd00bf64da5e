//! Stage one: which digit, if any, a 12.5 ms block looks like.
//!
//! Cheap tests first: a block too weak to hold a digit costs one pass of squares; only the
//! others get the eight Goertzel filters. The tests are permissive (stage two applies the
//! real limits) but relative, so they hold whatever the gain of the channel.

use super::{COL_FREQS, DtmfConfig, RECEIVER_RATE, ROW_FREQS};

/// Block length at 8 kHz (12.5 ms).
pub(super) const BLOCK: usize = 100;

/// Stage-one classifier with its constants worked out once.
pub(super) struct BlockClassifier {
    coef: [f32; 8],
    min_goertzel: f32,
    min_energy: f32,
}

impl BlockClassifier {
    /// A classifier for the limits of `cfg`.
    pub(super) fn new(cfg: &DtmfConfig) -> Self {
        let mut coef = [0.0f32; 8];
        for (c, f) in coef
            .iter_mut()
            .zip(ROW_FREQS.iter().chain(COL_FREQS.iter()))
        {
            *c = (2.0 * (std::f64::consts::TAU * f / f64::from(RECEIVER_RATE)).cos()) as f32;
        }
        let n = BLOCK as f32;
        // Each tone at the weakest level less 6 dB (a tone filling half the block). Tone
        // power P = A²/2 gives a Goertzel power |X|² = (A·N/2)² = P·N²/2.
        let min_power =
            10f32.powf(((cfg.min_level_dbm0 - 6.0) + crate::tone::DBM0_TO_DBOV) as f32 / 10.0);
        Self {
            coef,
            min_goertzel: min_power * n * n / 2.0,
            min_energy: 2.0 * min_power * n,
        }
    }

    /// The digit index (row·4 + column) `block` looks like, if any.
    pub(super) fn classify(&self, block: &[f32]) -> Option<u8> {
        let energy: f32 = block.iter().map(|v| v * v).sum();
        if energy < self.min_energy {
            return None;
        }
        let p = self.goertzel_powers(block);
        let (r, pr) = argmax(&p[..4]);
        let (c, pc) = argmax(&p[4..]);
        if pr < self.min_goertzel || pc < self.min_goertzel {
            return None;
        }
        // Permissive twist window: −12 … +12 dB.
        if !(0.063..=16.0).contains(&(pr / pc)) {
            return None;
        }
        // Both tones dominate their group and carry a good part of the block's energy.
        let dominates = |group: &[f32], best: usize, pb: f32| {
            group
                .iter()
                .enumerate()
                .all(|(i, &q)| i == best || q * 2.0 <= pb)
        };
        if !dominates(&p[..4], r, pr) || !dominates(&p[4..], c, pc) {
            return None;
        }
        if 2.0 * (pr + pc) < 0.4 * BLOCK as f32 * energy {
            return None;
        }
        Some((r * 4 + c) as u8)
    }

    /// Goertzel powers of the eight DTMF frequencies over `block`.
    fn goertzel_powers(&self, block: &[f32]) -> [f32; 8] {
        let coef = &self.coef;
        let mut s1 = [0.0f32; 8];
        let mut s2 = [0.0f32; 8];
        for &v in block {
            for i in 0..8 {
                let s0 = coef[i] * s1[i] - s2[i] + v;
                s2[i] = s1[i];
                s1[i] = s0;
            }
        }
        let mut p = [0.0f32; 8];
        for i in 0..8 {
            p[i] = s1[i] * s1[i] + s2[i] * s2[i] - coef[i] * s1[i] * s2[i];
        }
        p
    }
}

fn argmax(v: &[f32]) -> (usize, f32) {
    let mut best = (0, v[0]);
    for (i, &q) in v.iter().enumerate().skip(1) {
        if q > best.1 {
            best = (i, q);
        }
    }
    best
}
