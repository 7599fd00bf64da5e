//! The validated model of scenario files.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::diag::Location;
use crate::duration::format_duration;

/// Default timeout of `dial`, `answer` and `hangup` steps.
pub const DEFAULT_CONTROL_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `within` of a `wait` step.
pub const DEFAULT_WAIT_WITHIN: Duration = Duration::from_secs(30);
/// Default `margin` of a `play` step (recorded beyond the reference's end).
pub const DEFAULT_PLAY_MARGIN: Duration = Duration::from_secs(1);
/// Slack added to a `play` step's reference length and margin to get its default timeout.
pub const PLAY_TIMEOUT_SLACK: Duration = Duration::from_secs(10);
/// Largest allowed `repeat`.
pub const MAX_REPEAT: u32 = 10_000;
/// Most variables a `matrix` may have.
pub const MAX_MATRIX_VARIABLES: usize = 8;
/// Most combinations (variants) a `matrix` may give.
pub const MAX_MATRIX_VARIANTS: usize = 256;

/// Expectations modelled and validated but not measurable yet by this build; using one is an error.
pub const UNAVAILABLE_EXPECTATIONS: &[&str] = &[];

/// A validated scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's name (`[a-z0-9._-]+`).
    pub name: String,
    /// Free text describing the scenario.
    pub description: Option<String>,
    /// The file it was read from.
    pub path: PathBuf,
    /// Name of the folder holding the file (the suite, used as JUnit classname prefix).
    pub suite: String,
    /// Party roles in declaration order (bound to handsets at run time).
    pub parties: Vec<String>,
    /// How many times the scenario runs (1..=10000); for a matrix variant, how many times
    /// that variant runs.
    pub repeat: u32,
    /// The matrix values of this variant as (variable, value as written) pairs in file order;
    /// empty for a scenario without `matrix`.
    pub matrix: Vec<(String, String)>,
    /// The steps, in order (matrix values substituted).
    pub steps: Vec<Step>,
    /// The network profile the scenario asks for (`network: NAME`, a matrix value allowed);
    /// `None`: the lab's default.
    pub network: Option<NetworkRef>,
    /// What parties require of their handsets (`parties: { a: { require: … } }`), by party;
    /// parties without requirements are left out.
    pub requires: Vec<(String, Requirement)>,
}

/// A party's `require:`: what its handset must show before the case starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// `radio: LTE` or `radio: [LTE, NR]`: the voice radio technologies (upper case, as
    /// Android names them) one of which a SIM in service must be on; empty: any.
    pub radio: Vec<String>,
    /// `volte: true` (a SIM in service must be ready for voice over IMS) or `volte: false`
    /// (it must not be: calls go circuit-switched); `None`: either.
    pub volte: Option<bool>,
    /// Where `require:` is written.
    pub location: Location,
}

/// A scenario's `network: NAME`: the profile's name and where the file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRef {
    /// The profile's name.
    pub name: String,
    /// Where `network:` is written.
    pub location: Location,
}

impl Scenario {
    /// The name with the variant's matrix values, as case ids begin:
    /// `speech[ref=speech/en-f1,min_mos=3.5]`; the plain name without a matrix.
    pub fn label(&self) -> String {
        if self.matrix.is_empty() {
            return self.name.clone();
        }
        let values: Vec<String> = self
            .matrix
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{}[{}]", self.name, values.join(","))
    }
}

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1-based position in the scenario, as reports and messages show it.
    pub index: usize,
    /// Optional human name of the step.
    pub name: Option<String>,
    /// What the step does.
    pub kind: StepKind,
    /// The step's own `timeout:`, else the scenario's `defaults.timeout`; `None` = use
    /// [`Step::default_timeout`].
    pub timeout: Option<Duration>,
    /// Where the step starts in the file.
    pub location: Location,
}

impl Step {
    /// The timeout a step gets when none is written: dial/answer/hangup 10 s, wait its `within`,
    /// sleep its duration, play reference length + margin + 10 s (`reference_len` is the length
    /// of the reference; `None` counts as zero).
    pub fn default_timeout(&self, reference_len: Option<Duration>) -> Duration {
        match &self.kind {
            StepKind::Dial { .. }
            | StepKind::Answer { .. }
            | StepKind::Hangup { .. }
            | StepKind::Airplane { .. } => DEFAULT_CONTROL_TIMEOUT,
            StepKind::Wait { within, .. } => *within,
            StepKind::Sleep { duration } => *duration,
            StepKind::Play { margin, .. } => {
                reference_len.unwrap_or_default() + *margin + PLAY_TIMEOUT_SLACK
            }
        }
    }

    /// The timeout that applies: [`Step::timeout`] if set, else [`Step::default_timeout`].
    pub fn effective_timeout(&self, reference_len: Option<Duration>) -> Duration {
        self.timeout
            .unwrap_or_else(|| self.default_timeout(reference_len))
    }

    /// The step's name if it has one, else its description (`dial a -> b`).
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => self.kind.describe(),
        }
    }
}

/// Whom a `dial` step calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// Another party of the scenario (its handset's number is dialled).
    Party(String),
    /// A literal dialable number.
    Number(String),
}

impl fmt::Display for DialTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialTarget::Party(p) => f.write_str(p),
            DialTarget::Number(n) => f.write_str(n),
        }
    }
}

/// A call state a `wait` step waits for: Android's `mCallState` (`idle`, `ringing`,
/// `offhook`) or the precise state of the party's own call (`alerting`, `active`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallStateName {
    /// No call (`mCallState` 0).
    Idle,
    /// Incoming call ringing (`mCallState` 1).
    Ringing,
    /// In a call or dialling (`mCallState` 2): a caller is offhook from the moment it dials.
    Offhook,
    /// The caller's call reached the far end and it is ringing (precise call state
    /// ALERTING), or the call already went active.
    Alerting,
    /// The party's call is up (precise call state ACTIVE): answered and connected.
    Active,
}

impl CallStateName {
    /// Every state, in the order the error message lists them.
    pub const ALL: [CallStateName; 5] = [
        CallStateName::Idle,
        CallStateName::Ringing,
        CallStateName::Offhook,
        CallStateName::Alerting,
        CallStateName::Active,
    ];

    /// The name as written in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            CallStateName::Idle => "idle",
            CallStateName::Ringing => "ringing",
            CallStateName::Offhook => "offhook",
            CallStateName::Alerting => "alerting",
            CallStateName::Active => "active",
        }
    }

    /// Parses a state name as written in scenario files.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

impl fmt::Display for CallStateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a step does.
// `Play` carries its expectations inline; scenarios hold few steps, so the size is irrelevant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// `from` places a call to `to`.
    Dial {
        /// The calling party.
        from: String,
        /// Whom it calls.
        to: DialTarget,
    },
    /// `party` answers its ringing call.
    Answer {
        /// The answering party.
        party: String,
    },
    /// Wait until every party is in `state`, failing after `within`.
    Wait {
        /// The parties watched (at least one).
        parties: Vec<String>,
        /// The state they must all reach.
        state: CallStateName,
        /// How long to wait at most.
        within: Duration,
    },
    /// Play `reference` into `into`'s microphone and record `record`'s earpiece.
    Play {
        /// Reference audio name (`speech/en-f1`).
        reference: String,
        /// Party whose microphone gets the reference.
        into: String,
        /// Party whose earpiece is recorded.
        record: String,
        /// Extra recording time after the reference ends.
        margin: Duration,
        /// What the recording must show.
        expect: Expectations,
    },
    /// Do nothing for a while (the call stays up).
    Sleep {
        /// How long.
        duration: Duration,
    },
    /// `party` turns airplane mode on or off (radios off: no service, no calls).
    Airplane {
        /// The party.
        party: String,
        /// On (`true`) or off.
        on: bool,
    },
    /// `party` ends its call.
    Hangup {
        /// The party hanging up.
        party: String,
    },
}

impl StepKind {
    /// The YAML keyword of the step (`dial`, `answer`, `wait`, `play`, `sleep`, `hangup`,
    /// `airplane`).
    pub fn keyword(&self) -> &'static str {
        match self {
            StepKind::Dial { .. } => "dial",
            StepKind::Answer { .. } => "answer",
            StepKind::Wait { .. } => "wait",
            StepKind::Play { .. } => "play",
            StepKind::Sleep { .. } => "sleep",
            StepKind::Hangup { .. } => "hangup",
            StepKind::Airplane { .. } => "airplane",
        }
    }

    /// A one-line description, e.g. `dial a -> b`, `wait a,b offhook within 10s`.
    pub fn describe(&self) -> String {
        match self {
            StepKind::Dial { from, to } => format!("dial {from} -> {to}"),
            StepKind::Answer { party } => format!("answer {party}"),
            StepKind::Wait {
                parties,
                state,
                within,
            } => format!(
                "wait {} {state} within {}",
                parties.join(","),
                format_duration(*within)
            ),
            StepKind::Play {
                reference,
                into,
                record,
                ..
            } => format!("play {reference} into {into}, record {record}"),
            StepKind::Sleep { duration } => format!("sleep {}", format_duration(*duration)),
            StepKind::Hangup { party } => format!("hangup {party}"),
            StepKind::Airplane { party, on } => {
                format!(
                    "airplane mode {} on {party}",
                    if *on { "on" } else { "off" }
                )
            }
        }
    }

    /// Every party the step names.
    pub fn parties(&self) -> Vec<&str> {
        match self {
            StepKind::Dial { from, to } => {
                let mut v = vec![from.as_str()];
                if let DialTarget::Party(p) = to {
                    v.push(p);
                }
                v
            }
            StepKind::Answer { party }
            | StepKind::Hangup { party }
            | StepKind::Airplane { party, .. } => vec![party],
            StepKind::Wait { parties, .. } => parties.iter().map(String::as_str).collect(),
            StepKind::Play { into, record, .. } => vec![into, record],
            StepKind::Sleep { .. } => Vec::new(),
        }
    }
}

/// Optional lower and upper bounds (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bounds {
    /// Lowest acceptable value.
    pub min: Option<f64>,
    /// Highest acceptable value.
    pub max: Option<f64>,
}

impl Bounds {
    /// Whether `v` lies within the bounds.
    pub fn contains(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (Some(a), Some(b)) => write!(f, "{a}..={b}"),
            (Some(a), None) => write!(f, ">= {a}"),
            (None, Some(b)) => write!(f, "<= {b}"),
            (None, None) => f.write_str("any"),
        }
    }
}

/// Audio band for MOS-LQO scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Narrowband (P.862.1, 8 kHz).
    Nb,
    /// Wideband (P.862.2, 16 kHz).
    Wb,
}

impl Band {
    /// `nb` or `wb`.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Nb => "nb",
            Band::Wb => "wb",
        }
    }
}

/// `mos_lqo: { min, band }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MosExpectation {
    /// Lowest acceptable MOS-LQO.
    pub min: f64,
    /// Band to score in (default narrowband).
    pub band: Band,
}

/// `fingerprint: { matches: REF }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintExpectation {
    /// Reference the recording must match.
    pub matches: String,
}

/// `tone: { freq, min_duration }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneExpectation {
    /// Tone frequency in Hz.
    pub freq_hz: f64,
    /// Shortest acceptable tone.
    pub min_duration: Duration,
}

/// Kind of call-progress tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressToneKind {
    /// Dial tone.
    Dial,
    /// Ringback (alerting) tone.
    Ringback,
    /// Busy tone.
    Busy,
    /// Congestion (reorder) tone.
    Congestion,
}

impl ProgressToneKind {
    /// The name as written in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressToneKind::Dial => "dial",
            ProgressToneKind::Ringback => "ringback",
            ProgressToneKind::Busy => "busy",
            ProgressToneKind::Congestion => "congestion",
        }
    }
}

/// `progress_tone: { kind, country }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressToneExpectation {
    /// Which tone.
    pub kind: ProgressToneKind,
    /// ISO 3166-1 alpha-2 country code, upper case (tone plans differ per country).
    pub country: String,
}

/// `gaps: { max_ms }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GapsExpectation {
    /// Longest acceptable gap (dropout) in milliseconds.
    pub max_ms: f64,
}

/// What a `play` step's recording must show. `None` = not checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expectations {
    /// Audio (above the noise floor) must (true) or must not (false) arrive.
    pub audio_present: Option<bool>,
    /// Mouth-to-ear delay bounds in milliseconds.
    pub delay_ms: Option<Bounds>,
    /// Full-reference quality floor.
    pub mos_lqo: Option<MosExpectation>,
    /// DTMF digits that must be detected, in order.
    pub dtmf: Option<String>,
    /// The recording must match this reference's fingerprint.
    pub fingerprint: Option<FingerprintExpectation>,
    /// A tone that must be present.
    pub tone: Option<ToneExpectation>,
    /// A call-progress tone that must be present.
    pub progress_tone: Option<ProgressToneExpectation>,
    /// A tone pattern that must be present, e.g. `"1000/2000, 0/1000, x3"` (Hz/ms steps).
    pub tone_pattern: Option<String>,
    /// Audio must (true) or must not (false) be one-way.
    pub one_way_audio: Option<bool>,
    /// Longest acceptable gap (dropout).
    pub gaps: Option<GapsExpectation>,
    /// Active speech level bounds in dBov.
    pub level_dbov: Option<Bounds>,
    /// Bounds on how fast the delay drifts (the two sound cards' clock offset), in ppm.
    pub clock_drift_ppm: Option<Bounds>,
}

impl Expectations {
    /// Whether nothing is expected.
    pub fn is_empty(&self) -> bool {
        self == &Expectations::default()
    }

    /// Keys of the expectations that are set, in a fixed order.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.audio_present.is_some() {
            v.push("audio_present");
        }
        if self.delay_ms.is_some() {
            v.push("delay_ms");
        }
        if self.mos_lqo.is_some() {
            v.push("mos_lqo");
        }
        if self.dtmf.is_some() {
            v.push("dtmf");
        }
        if self.fingerprint.is_some() {
            v.push("fingerprint");
        }
        if self.tone.is_some() {
            v.push("tone");
        }
        if self.progress_tone.is_some() {
            v.push("progress_tone");
        }
        if self.tone_pattern.is_some() {
            v.push("tone_pattern");
        }
        if self.one_way_audio.is_some() {
            v.push("one_way_audio");
        }
        if self.gaps.is_some() {
            v.push("gaps");
        }
        if self.level_dbov.is_some() {
            v.push("level_dbov");
        }
        if self.clock_drift_ppm.is_some() {
            v.push("clock_drift_ppm");
        }
        v
    }
}

/// How farend reaches a lab handset over ADB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandsetAccess {
    /// Through the adb server, by device serial.
    Serial(String),
    /// Directly over TCP (`host:port`), as `adb connect` would.
    Connect(String),
}

/// One handset of a lab file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandsetSpec {
    /// Lab-unique id.
    pub id: String,
    /// How to reach it.
    pub access: HandsetAccess,
    /// Its dialable phone number.
    pub number: String,
    /// Sound card endpoint feeding its microphone (`virtual:HOST:PORT`, `pulseaudio:NAME`, `alsa:NAME`).
    pub mic: String,
    /// Sound card endpoint capturing its earpiece.
    pub ear: String,
    /// Known fixed latency of the microphone feed (sound card output, cabling), subtracted
    /// from every delay measured from this handset.
    pub mic_delay: std::time::Duration,
    /// Known fixed latency of the earpiece capture, subtracted from every delay measured to
    /// this handset.
    pub ear_delay: std::time::Duration,
    /// Where the handset entry starts in the lab file.
    pub location: Location,
    /// Where its `audio:` mapping starts (for `farend calibrate` to rewrite the latencies).
    pub audio_location: Location,
}

/// A validated lab file.
#[derive(Debug, Clone, PartialEq)]
pub struct Lab {
    /// The file it was read from.
    pub path: PathBuf,
    /// `host:port` of the adb server (`None` = the default 127.0.0.1:5037).
    pub adb_server: Option<String>,
    /// The handsets, in file order; empty for a file that describes the built-in virtual
    /// lab (`network:` and `virtual:` only).
    pub handsets: Vec<HandsetSpec>,
    /// `virtual: { handsets: N }`: how many virtual handsets the built-in lab gets.
    pub virtual_handsets: Option<usize>,
    /// `virtual: { sample_rate: 48000 }`: the rate the built-in lab's sound cards run at.
    pub virtual_sample_rate: Option<u32>,
    /// Named network profiles of the virtual network (`network:`), in file order.
    pub networks: Vec<NetworkSpec>,
    /// `evidence: { bugreport: on_failure, bugreport_within: 3m }`: take each handset's bug
    /// report after a case that did not pass, within this time; `None`: never.
    pub bug_report_on_failure: Option<Duration>,
}

/// A network profile as a lab file writes it. The codec text is checked where codecs are
/// known (the runner), with [`NetworkSpec::codec_location`] to point at.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// The profile's name.
    pub name: String,
    /// Where the profile's name is written.
    pub location: Location,
    /// The codec, as written (`amr-wb:12.65`; `codec: amr-wb` with `mode: 12.65` is joined
    /// into this form).
    pub codec: String,
    /// Where the codec is written.
    pub codec_location: Location,
    /// One-way transport delay (`delay_ms`); `None`: the default.
    pub delay: Option<Duration>,
    /// Frame loss.
    pub loss: LossSpec,
    /// Largest extra packet delay in ms (`jitter_ms`), absorbed by an adaptive jitter
    /// buffer; 0: none.
    pub jitter_ms: f64,
    /// Path gain in dB.
    pub gain_db: f64,
    /// White noise at the talker, dB relative to full scale.
    pub noise_dbfs: Option<f64>,
    /// Sample-clock offset between the two handsets' cards in ppm (`clock_ppm`); 0: one
    /// clock.
    pub clock_ppm: f64,
    /// Faults, in file order.
    pub faults: Vec<FaultSpec>,
    /// The radio access its handsets are registered on (`radio:`).
    pub radio: RadioAccess,
    /// Whether the network carries voice over IMS on that access (`volte:`; VoLTE, VoNR);
    /// without it, calls are circuit-switched.
    pub volte: bool,
}

/// `radio:` of a network profile: the access technology its handsets are registered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RadioAccess {
    /// GSM (2G).
    Gsm,
    /// UMTS (3G).
    Umts,
    /// LTE (4G).
    #[default]
    Lte,
    /// NR (5G).
    Nr,
}

impl RadioAccess {
    /// Every access, in the order `radio:` lists them.
    pub const ALL: [RadioAccess; 4] = [
        RadioAccess::Gsm,
        RadioAccess::Umts,
        RadioAccess::Lte,
        RadioAccess::Nr,
    ];

    /// Android's name of the radio technology (`getRilVoiceRadioTechnology`).
    pub fn name(self) -> &'static str {
        match self {
            RadioAccess::Gsm => "GSM",
            RadioAccess::Umts => "UMTS",
            RadioAccess::Lte => "LTE",
            RadioAccess::Nr => "NR",
        }
    }

    /// Whether voice can go over IMS on it (LTE and NR carry no circuit-switched voice).
    pub fn carries_ims_voice(self) -> bool {
        matches!(self, RadioAccess::Lte | RadioAccess::Nr)
    }
}

/// `loss:` of a network profile: how 20 ms frames get lost on the way.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LossSpec {
    /// No frame is lost.
    #[default]
    None,
    /// `{ model: random, p }`: each frame is lost with probability `p`, independently.
    Random {
        /// Loss probability per 20 ms frame (0..=1).
        p: f64,
    },
    /// `{ model: gilbert, p, r }`: Gilbert–Elliott bursts. A good state loses nothing, a bad
    /// state loses every frame.
    Gilbert {
        /// Good → bad transition probability per frame.
        p: f64,
        /// Bad → good transition probability per frame.
        r: f64,
    },
}

impl LossSpec {
    /// The long-run share of lost frames.
    pub fn mean_rate(&self) -> f64 {
        match *self {
            LossSpec::None => 0.0,
            LossSpec::Random { p } => p,
            LossSpec::Gilbert { p, r } if p + r > 0.0 => p / (p + r),
            LossSpec::Gilbert { .. } => 0.0,
        }
    }
}

/// Which way of a call a fault hits (`way:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultWay {
    /// Caller to callee.
    Uplink,
    /// Callee to caller.
    Downlink,
    /// Both ways.
    Both,
}

/// One entry of a profile's `faults:`.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultSpec {
    /// `{ kind: drop, after: 8s }`.
    Drop {
        /// Time from answer.
        after: Duration,
    },
    /// `{ kind: one_way, after: 2s, way: downlink }`.
    OneWay {
        /// Time from answer.
        after: Duration,
        /// The way that goes silent.
        way: FaultWay,
    },
    /// `{ kind: busy }`: the network reports the callee busy.
    Busy,
    /// `{ kind: reject, cause: 34 }`: the network rejects the setup with a cause.
    Reject {
        /// 3GPP TS 24.008 cause value.
        cause: u32,
    },
    /// `{ kind: no_answer, after: 20s }`: the network gives up ringing.
    NoAnswer {
        /// Time from the start of ringing.
        after: Duration,
    },
    /// `{ kind: out_of_service }`: the handsets on the profile lose service.
    OutOfService,
    /// `{ kind: slow_setup, after: 5s }`: the callee rings only that long after the dial.
    SlowSetup {
        /// Time from dial to ringing.
        after: Duration,
    },
    /// `{ kind: adb_unresponsive, after: 3s }`: the callee's handset stops answering ADB
    /// that long after the answer, until the call ends.
    AdbUnresponsive {
        /// Time from answer.
        after: Duration,
    },
    /// `{ kind: mute, from: 2s, to: 4s, way: both }`.
    Mute {
        /// Start, from answer.
        from: Duration,
        /// End, from answer.
        to: Duration,
        /// The way muted.
        way: FaultWay,
    },
    /// `{ kind: crossed, after: 2s, way: uplink }`: from `after` on, the way carries
    /// another call's audio (what that call's listener on the same way hears), as when a
    /// switch connects the wrong timeslot or RTP stream; with no other call in the lab,
    /// nothing.
    Crossed {
        /// Time from answer.
        after: Duration,
        /// The way that carries the other call.
        way: FaultWay,
    },
}

impl FaultSpec {
    /// The fault's `kind:` as lab files and `network-truth.json` write it.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultSpec::Drop { .. } => "drop",
            FaultSpec::OneWay { .. } => "one_way",
            FaultSpec::Busy => "busy",
            FaultSpec::Reject { .. } => "reject",
            FaultSpec::NoAnswer { .. } => "no_answer",
            FaultSpec::SlowSetup { .. } => "slow_setup",
            FaultSpec::OutOfService => "out_of_service",
            FaultSpec::Mute { .. } => "mute",
            FaultSpec::AdbUnresponsive { .. } => "adb_unresponsive",
            FaultSpec::Crossed { .. } => "crossed",
        }
    }

    /// When the fault starts: from the answer for media faults and drops, from the dial for
    /// busy, reject and slow setup, from the start of ringing for no answer.
    pub fn at(&self) -> Duration {
        match *self {
            FaultSpec::Drop { after }
            | FaultSpec::OneWay { after, .. }
            | FaultSpec::NoAnswer { after }
            | FaultSpec::SlowSetup { after }
            | FaultSpec::AdbUnresponsive { after }
            | FaultSpec::Crossed { after, .. } => after,
            FaultSpec::Busy | FaultSpec::Reject { .. } | FaultSpec::OutOfService => Duration::ZERO,
            FaultSpec::Mute { from, .. } => from,
        }
    }

    /// Whether the fault happens before the call is answered (call setup).
    pub fn is_setup(&self) -> bool {
        matches!(
            self,
            FaultSpec::Busy
                | FaultSpec::Reject { .. }
                | FaultSpec::NoAnswer { .. }
                | FaultSpec::SlowSetup { .. }
                | FaultSpec::OutOfService
        )
    }

    /// Whether the fault concerns the way `uplink` (caller → callee) or the other; faults
    /// of the whole call concern both.
    pub fn hits(&self, uplink: bool) -> bool {
        match *self {
            FaultSpec::OneWay { way, .. }
            | FaultSpec::Mute { way, .. }
            | FaultSpec::Crossed { way, .. } => way.includes(uplink),
            _ => true,
        }
    }
}

impl FaultWay {
    /// Whether this covers the way `uplink` (caller → callee) or the other.
    pub fn includes(self, uplink: bool) -> bool {
        match self {
            FaultWay::Both => true,
            FaultWay::Uplink => uplink,
            FaultWay::Downlink => !uplink,
        }
    }
}
