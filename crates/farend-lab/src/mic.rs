//! The microphone timeline of a virtual handset: samples scheduled against the lab clock.

use std::collections::VecDeque;

/// How far ahead of the lab clock a mic may be scheduled (seconds of audio).
const MAX_AHEAD_SECONDS: u64 = 120;

/// Samples scheduled on one handset's microphone, ahead of the lab clock.
#[derive(Debug, Default)]
pub struct MicTimeline {
    start: u64,
    buf: VecDeque<i16>,
    /// Samples dropped because they were scheduled in the past or too far ahead.
    pub dropped: u64,
}

impl MicTimeline {
    /// Index of the next sample the network will consume.
    pub fn now(&self) -> u64 {
        self.start
    }

    /// Schedules `samples` at lab clock index `at`; returns how many were dropped.
    pub fn schedule(&mut self, at: u64, samples: &[i16], rate: u32) -> u64 {
        let mut dropped = 0u64;
        let mut at = at;
        let mut samples = samples;
        if at < self.start {
            let skip = ((self.start - at) as usize).min(samples.len());
            dropped += skip as u64;
            samples = &samples[skip..];
            at = self.start;
        }
        let limit = self.start + MAX_AHEAD_SECONDS * u64::from(rate);
        let room = limit.saturating_sub(at) as usize;
        if samples.len() > room {
            dropped += (samples.len() - room) as u64;
            samples = &samples[..room];
        }
        if !samples.is_empty() {
            let off = (at - self.start) as usize;
            if self.buf.len() < off + samples.len() {
                self.buf.resize(off + samples.len(), 0);
            }
            for (i, &s) in samples.iter().enumerate() {
                self.buf[off + i] = s;
            }
        }
        self.dropped += dropped;
        dropped
    }

    /// Forgets everything scheduled (the clock position stays).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Takes the next `n` samples (silence where nothing was scheduled).
    pub fn take(&mut self, n: usize) -> Vec<i16> {
        let mut out: Vec<i16> = self.buf.drain(..n.min(self.buf.len())).collect();
        out.resize(n, 0);
        self.start += n as u64;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mic_timeline_schedules_and_drops() {
        let mut m = MicTimeline::default();
        m.take(100);
        assert_eq!(m.schedule(90, &[1; 20], 16000), 10);
        assert_eq!(m.schedule(105, &[2; 2], 16000), 0);
        let got = m.take(10);
        assert_eq!(got, vec![1, 1, 1, 1, 1, 2, 2, 1, 1, 1]);
        assert_eq!(m.now(), 110);
    }
}
