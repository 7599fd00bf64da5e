//! Packet delay variation and the receiver's adaptive jitter buffer, in 20 ms frames.
//!
//! Each frame sent at frame time `t` arrives at `t + x`, where the extra delay `x` is drawn
//! between 0 and the profile's jitter (small delays more often than large ones). The buffer
//! plays frame `t - D` at time `t`; a frame that has not arrived by then is concealed by the
//! codec (a late loss). Every half second the buffer compares its playout delay `D` with the
//! largest extra delay of the last two seconds and moves one frame towards it: growing
//! inserts a concealed frame, shrinking drops one. Each move changes the mouth-to-ear delay
//! by 20 ms, which is what a delay measurement must follow.

use std::collections::{BTreeMap, VecDeque};

use crate::netprofile::Random;

/// Frames between two adaptations of the playout delay (0.5 s).
const ADAPT_EVERY: u64 = 25;
/// Frames of history the adaptation looks at (2 s).
const HISTORY: usize = 100;

/// What the buffer plays in one frame slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// The payload of a frame that arrived in time.
    Frame(Vec<u8>),
    /// A frame that was lost, late, or inserted by the buffer: the codec conceals it.
    Conceal,
    /// Nothing yet (the first frames, before the playout delay has passed).
    Silence,
}

/// An adaptive jitter buffer with its own packet-delay process.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    jitter_frames: f64,
    random: Random,
    delay: u64,
    /// Frames in flight or waiting: arrival time (frames) and payload (`None`: lost).
    pending: BTreeMap<u64, (f64, Option<Vec<u8>>)>,
    recent: VecDeque<f64>,
    late: Vec<u64>,
    changes: Vec<(u64, u64)>,
}

impl JitterBuffer {
    /// A buffer for up to `jitter_ms` of extra packet delay, seeded with `seed`. It starts
    /// at a one-frame playout delay and grows as it meets the jitter, as a real one does
    /// (so the first second of a call may lose late frames).
    pub fn new(jitter_ms: f64, seed: u64) -> Self {
        let jitter_frames = (jitter_ms / 20.0).max(0.0);
        let delay = 1;
        JitterBuffer {
            jitter_frames,
            random: Random::new(seed),
            delay,
            pending: BTreeMap::new(),
            recent: VecDeque::new(),
            late: Vec::new(),
            changes: vec![(0, delay)],
        }
    }

    /// Frame `seq` is sent now (frame time `seq`); `None` when the network lost it.
    pub fn send(&mut self, seq: u64, payload: Option<Vec<u8>>) {
        let u = self.random.uniform();
        // Skewed towards short delays, as queueing delays are.
        let extra = self.jitter_frames * u * u;
        if self.recent.len() == HISTORY {
            self.recent.pop_front();
        }
        self.recent.push_back(extra);
        self.pending.insert(seq, (seq as f64 + extra, payload));
    }

    /// What plays in the frame slot at time `now` (called once per slot, after `send`).
    pub fn play(&mut self, now: u64) -> Playout {
        if now > 0 && now.is_multiple_of(ADAPT_EVERY) {
            let worst = self.recent.iter().copied().fold(0.0, f64::max);
            let target = worst.ceil() as u64 + 1;
            if target > self.delay {
                self.delay += 1;
                self.changes.push((now, self.delay));
                // The frame due now waits one more slot.
                return Playout::Conceal;
            }
            if target + 1 < self.delay {
                self.delay -= 1;
                self.changes.push((now, self.delay));
                // The frame that was due is skipped.
                if let Some(skipped) = now.checked_sub(self.delay + 1) {
                    self.pending.remove(&skipped);
                }
            }
        }
        let Some(due) = now.checked_sub(self.delay) else {
            return Playout::Silence;
        };
        // Frames older than the one due were skipped or are too late to matter.
        while let Some((&seq, _)) = self.pending.first_key_value() {
            if seq >= due {
                break;
            }
            self.pending.remove(&seq);
        }
        match self.pending.remove(&due) {
            Some((arrival, Some(payload))) if arrival <= now as f64 => Playout::Frame(payload),
            Some((_, Some(_))) => {
                self.late.push(due);
                Playout::Conceal
            }
            _ => Playout::Conceal,
        }
    }

    /// The playout delay now, in frames.
    pub fn delay_frames(&self) -> u64 {
        self.delay
    }

    /// Frames that arrived after their playout time.
    pub fn late_frames(&self) -> &[u64] {
        &self.late
    }

    /// Every playout delay the buffer had: (frame time it started, delay in frames).
    pub fn changes(&self) -> &[(u64, u64)] {
        &self.changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_jitter_frames_play_after_one_frame() {
        let mut jb = JitterBuffer::new(0.0, 1);
        let mut played = Vec::new();
        for t in 0..100u64 {
            jb.send(t, Some(vec![t as u8]));
            played.push(jb.play(t));
        }
        assert_eq!(played[0], Playout::Silence);
        assert_eq!(played[1], Playout::Frame(vec![0]));
        assert_eq!(played[99], Playout::Frame(vec![98]));
        assert!(jb.late_frames().is_empty());
        assert_eq!(jb.changes(), [(0, 1)]);
    }

    #[test]
    fn jitter_is_absorbed_and_the_delay_adapts() {
        let mut jb = JitterBuffer::new(60.0, 7);
        let mut concealed = 0;
        for t in 0..3000u64 {
            jb.send(t, Some(vec![1]));
            if jb.play(t) == Playout::Conceal {
                concealed += 1;
            }
        }
        // The delay grew from one frame to cover the jitter within the first seconds;
        // after that, next to nothing is late.
        assert!(
            (3..=5).contains(&jb.delay_frames()),
            "{}",
            jb.delay_frames()
        );
        assert!(jb.changes().len() >= 3, "{:?}", jb.changes());
        assert!(
            jb.changes()
                .iter()
                .all(|&(t, _)| t < 200 || jb.changes().len() < 10)
        );
        let late_after = jb.late_frames().iter().filter(|&&t| t > 200).count();
        assert!(late_after < 15, "{late_after} late after the start");
        assert!(concealed < 100, "{concealed} concealed");
    }

    #[test]
    fn lost_frames_are_concealed_in_their_slot() {
        let mut jb = JitterBuffer::new(0.0, 3);
        jb.send(0, Some(vec![0]));
        jb.play(0);
        jb.send(1, None);
        assert_eq!(jb.play(1), Playout::Frame(vec![0]));
        jb.send(2, Some(vec![2]));
        assert_eq!(jb.play(2), Playout::Conceal, "frame 1 was lost");
    }
}
