//! Ground truth of the calls the virtual network carried: what went wrong in their setup,
//! and what really happened on each way of an answered call (codec, frames sent and lost, true mouth-to-ear delay, faults), for checking
//! every measurement and verdict against it.

use farend_codec::CodecSpec;

use crate::media::DriftTruth;

/// One fault that happened during a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultTruth {
    /// The fault's kind (`drop`, `one_way`, `mute`).
    pub kind: &'static str,
    /// When it started, in ms from the answer.
    pub at_ms: u64,
}

/// What happened on one way of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectionTruth {
    /// Index of the talking handset.
    pub from: usize,
    /// Index of the listening handset.
    pub to: usize,
    /// The codec and mode.
    pub codec: CodecSpec,
    /// 20 ms frames sent.
    pub frames_sent: u64,
    /// Indices of the frames the network lost (concealed by the codec).
    pub frames_lost: Vec<u64>,
    /// Indices of the frames that arrived after their playout time (concealed).
    pub frames_late: Vec<u64>,
    /// True mouth-to-ear delay over the call: transport, codec, jitter buffer and clock drift.
    pub delay: DelayTruth,
    /// The clock drift between the two cards, when they have two clocks.
    pub drift: Option<ClockDriftTruth>,
    /// Faults that hit this way.
    pub faults: Vec<FaultTruth>,
}

/// The sample-clock drift of one way of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockDriftTruth {
    /// The listening card's offset in ppm (positive: slow, the delay grows).
    pub ppm: f64,
    /// Delay the drift added at the answer, in ms (a fast card's backlog).
    pub start_ms: f64,
    /// Delay it added at the end of the call, in ms.
    pub end_ms: f64,
    /// When a fast card ran out of backlog and slipped, ms from the answer.
    pub slips_ms: Vec<u64>,
}

/// What happened in one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallTruth {
    /// The network profile the call ran on.
    pub profile: String,
    /// Index of the calling handset.
    pub caller: usize,
    /// Index of the called handset; `None` when it was never reached.
    pub callee: Option<usize>,
    /// When the call was answered, ms since the Unix epoch (0: never).
    pub answered_unix_ms: u64,
    /// Faults of the call's setup (busy, reject, slow setup, no answer), `at_ms` from the
    /// dial.
    pub setup_faults: Vec<FaultTruth>,
    /// Caller → callee first, then callee → caller; empty for a call never answered.
    pub directions: Vec<DirectionTruth>,
}

/// The true mouth-to-ear delay of one way over a call.
#[derive(Debug, Clone, PartialEq)]
pub struct DelayTruth {
    /// Mean over the call's frames, in ms.
    pub mean_ms: f64,
    /// Smallest, in ms.
    pub min_ms: f64,
    /// Largest, in ms.
    pub max_ms: f64,
    /// Each delay the path had and when it started: (ms from the answer, delay in ms).
    pub history_ms: Vec<(u64, f64)>,
}

impl DelayTruth {
    /// From a path's delay history (start frame, delay in samples at `rate`) over `frames`
    /// 20 ms frames.
    pub fn of(history: &[(u64, usize)], frames: u64, rate: u32) -> DelayTruth {
        let ms = |samples: usize| samples as f64 * 1000.0 / f64::from(rate);
        let mut weighted = 0.0;
        for (i, &(start, delay)) in history.iter().enumerate() {
            let end = history.get(i + 1).map_or(frames, |n| n.0).max(start);
            weighted += ms(delay) * (end - start) as f64;
        }
        let delays: Vec<f64> = history.iter().map(|&(_, d)| ms(d)).collect();
        let first = delays.first().copied().unwrap_or(0.0);
        DelayTruth {
            mean_ms: if frames > 0 {
                weighted / frames as f64
            } else {
                first
            },
            min_ms: delays.iter().copied().fold(first, f64::min),
            max_ms: delays.iter().copied().fold(first, f64::max),
            history_ms: history.iter().map(|&(f, d)| (f * 20, ms(d))).collect(),
        }
    }

    /// Adds a way's clock drift, which moves the delay evenly from its start to its end
    /// value over the call (`history_ms` stays the delay without it).
    pub fn with_drift(mut self, drift: Option<&DriftTruth>, rate: u32) -> DelayTruth {
        let Some(drift) = drift else {
            return self;
        };
        let ms = |samples: f64| samples * 1000.0 / f64::from(rate);
        let (start, end) = (ms(drift.start_samples), ms(drift.end_samples));
        self.mean_ms += (start + end) / 2.0;
        self.min_ms += start.min(end);
        self.max_ms += start.max(end);
        self
    }
}
