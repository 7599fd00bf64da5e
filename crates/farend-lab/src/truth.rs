//! Ground truth of the calls the virtual network carried: what went wrong in their setup,
//! and what really happened on each way of an answered call (codec, frames sent and lost, true mouth-to-ear delay, faults), for checking
//! every measurement and verdict against it.

use farend_codec::CodecSpec;

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
    /// Indices of the frames lost (concealed by the codec).
    pub frames_lost: Vec<u64>,
    /// True mouth-to-ear delay: transport plus the codec's algorithmic delay, in ms.
    pub delay_ms: f64,
    /// Faults that hit this way.
    pub faults: Vec<FaultTruth>,
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
