//! The report model: what one run produced, case by case. `results.json` is this model.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One run of farend: every case it executed, the lab it ran on, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Unique id of the run; also the name of its folder under the reports directory.
    pub run_id: String,
    /// Version of farend that produced the report.
    pub farend_version: String,
    /// When the run started, RFC 3339 in UTC (e.g. `2026-11-21T05:31:17.120Z`).
    pub started_at: String,
    /// Wall-clock duration of the whole run, in seconds.
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub duration_s: f64,
    /// The lab the run used.
    pub lab: LabInfo,
    /// Whether phone numbers and subscriber identities in this report were redacted.
    pub redacted: bool,
    /// The plan the run's cases came from; lets shards of one plan be merged.
    #[serde(default)]
    pub plan: PlanInfo,
    /// Every case of the plan, in execution order, including skipped ones.
    pub cases: Vec<CaseReport>,
}

/// The plan a run belongs to: its case ids, and which shard of it the run executed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInfo {
    /// Every case id of the whole plan, in order (the run's own cases when not sharded);
    /// empty in reports written before farend recorded it.
    pub case_ids: Vec<String>,
    /// `[index, count]` (index from 1) when the run executed one shard of the plan.
    pub shard: Option<[u32; 2]>,
}

/// The lab a run used: virtual or described by a lab file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabInfo {
    /// `"virtual"` for the built-in virtual lab, `"file"` for a lab described by a lab file.
    pub kind: String,
    /// Path of the lab file (for `"file"`), or a description of the virtual lab.
    pub source: Option<String>,
    /// Handsets of the lab that the run could use.
    pub handsets: Vec<HandsetInfo>,
}

/// Identity of one handset, as read from the device (`getprop`) and the lab file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HandsetInfo {
    /// Lab id of the handset (e.g. `pixel-7-a`).
    pub id: String,
    /// ADB serial (e.g. `2A111FDH6004XY` or `127.0.0.1:7001`).
    pub serial: String,
    /// Model (`ro.product.model`), when known.
    pub model: Option<String>,
    /// Manufacturer (`ro.product.manufacturer`), when known.
    pub manufacturer: Option<String>,
    /// Android release (`ro.build.version.release`), when known.
    pub android_release: Option<String>,
    /// Phone number of the handset's subscription (redacted when the report is).
    pub number: String,
}

/// One case: one iteration of one scenario, with everything it measured and its verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseReport {
    /// Stable id of the case within the plan (the same across runs and shards).
    pub id: String,
    /// Suite name (usually the folder or file group the scenario came from).
    pub suite: String,
    /// Scenario name (its `name:`).
    pub scenario: String,
    /// Path of the scenario file, as given on the command line.
    pub scenario_file: String,
    /// Iteration number of this case, starting at 1.
    pub iteration: u32,
    /// Number of iterations of the scenario in the plan.
    pub iterations: u32,
    /// The matrix values of the case's scenario variant, (variable, value as written) in the
    /// scenario's order; empty without a matrix. In JSON an object, left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "crate::pairs")]
    pub matrix: Vec<(String, String)>,
    /// Network profile of the virtual network the case ran on; left out when none applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Outcome of the case.
    pub verdict: Verdict,
    /// When the case started, RFC 3339 in UTC.
    pub started_at: String,
    /// Wall-clock duration of the case, in seconds.
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub duration_s: f64,
    /// Which handset played which role.
    pub parties: Vec<PartyBinding>,
    /// The scenario's steps, in order, with their outcomes.
    pub steps: Vec<StepReport>,
    /// Call events observed during the case, in time order.
    pub events: Vec<CallEvent>,
    /// Everything measured (delay, levels, MOS-LQO, ...).
    pub measurements: Vec<Measurement>,
    /// Values over the time of a played reference: the MOS-LQO track, the delay per
    /// utterance, the per-frame disturbance.
    #[serde(default)]
    pub tracks: Vec<Track>,
    /// Each assertion of the scenario, with what was expected and what was found.
    pub checks: Vec<Check>,
    /// Files kept as evidence (references, recordings, logs).
    pub attachments: Vec<Attachment>,
    /// Where the case's time went.
    pub timing: Timing,
}

impl CaseReport {
    /// The scenario name with the variant's matrix values (`speech[ref=speech/en-f1]`), or
    /// the plain scenario name without a matrix.
    pub fn variant(&self) -> String {
        if self.matrix.is_empty() {
            return self.scenario.clone();
        }
        let values: Vec<String> = self
            .matrix
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{}[{}]", self.scenario, values.join(","))
    }

    /// How messages name step `index`: `step 5 "speech a to b"` when the step has a name,
    /// else `step 5`.
    pub fn step_label(&self, index: usize) -> String {
        let name = self
            .steps
            .iter()
            .find(|s| s.index == index)
            .and_then(|s| s.name.as_deref());
        match name {
            Some(name) => format!("step {index} \"{name}\""),
            None => format!("step {index}"),
        }
    }

    /// Indexes of the steps that went wrong, most important first: the steps of the
    /// verdict's failures in their order, then failed or errored steps, then steps with a
    /// failing check; each once.
    pub fn failing_steps(&self) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        let mut add = |i: usize| {
            if !out.contains(&i) {
                out.push(i);
            }
        };
        if let Verdict::Failure { failures, .. } = &self.verdict {
            failures.iter().for_each(|f| add(f.step));
        }
        self.steps
            .iter()
            .filter(|s| matches!(s.outcome, StepOutcome::Failed | StepOutcome::Error))
            .for_each(|s| add(s.index));
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .for_each(|c| add(c.step));
        out
    }
}

/// A role of the scenario bound to a lab handset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartyBinding {
    /// Role name in the scenario (e.g. `a`).
    pub role: String,
    /// Lab id of the handset playing the role (matches [`HandsetInfo::id`]).
    pub handset: String,
    /// Phone number of that handset (redacted when the report is).
    pub number: String,
}

/// One executed (or skipped) step of a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Position of the step in the scenario, starting at 1.
    pub index: usize,
    /// The step's `name:` in the scenario, when it has one; left out of JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Step keyword (`dial`, `wait`, `answer`, `play`, `hangup`, ...).
    pub keyword: String,
    /// Human-readable summary of the step (e.g. `a dials b`).
    pub description: String,
    /// Start of the step, in milliseconds since the case started.
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub started_ms: f64,
    /// Duration of the step, in milliseconds.
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub duration_ms: f64,
    /// How the step ended.
    pub outcome: StepOutcome,
    /// Why the step failed or was skipped, or a note about it.
    pub message: Option<String>,
}

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// The step did what it should and its expectations held.
    Ok,
    /// The network or handset did not behave as expected (a test failure).
    Failed,
    /// The lab could not execute the step (a lab fault).
    Error,
    /// The step was not executed (an earlier step failed, or the run stopped).
    Skipped,
}

impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            StepOutcome::Ok => "ok",
            StepOutcome::Failed => "failed",
            StepOutcome::Error => "error",
            StepOutcome::Skipped => "skipped",
        })
    }
}

/// Something that happened to a call, seen from one party.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallEvent {
    /// When, in milliseconds since the case started.
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub at_ms: f64,
    /// Role of the party it happened to.
    pub party: String,
    /// What happened: see [`EventSource`] for the names each source uses.
    pub event: String,
    /// Who saw it happen.
    #[serde(default)]
    pub source: EventSource,
}

/// Who recorded a call event; both time it from the case start.
///
/// - `step`: the step engine, at the moment it acted or saw a state it waited for:
///   `dial <number>`, `answer`, `hang up`, `play <ref> (recording <party>)`, and
///   `<state> reached (waited N ms)` for `ringing`, `offhook`, `idle`, `alerting`, `active`.
/// - `monitor`: the call-state monitor, which reads every party's `mCallState` about every
///   250 ms: `state <from>-><to>` (`?` before the first reading). It sees a change up to a
///   poll late, and may miss one shorter than a poll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// The step engine acted or saw what it waited for.
    #[default]
    Step,
    /// The call-state monitor saw a change when it polled.
    Monitor,
}

/// One measured value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Index of the step that produced it (as in [`StepReport::index`]).
    pub step: usize,
    /// What was measured (`delay_ms`, `level_dbov`, `mos_lqo`, ...).
    pub name: String,
    /// The value; `null` in JSON when it could not be computed.
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub value: f64,
    /// Unit of the value (`ms`, `dBov`, `MOS`, ...).
    pub unit: String,
    /// Audio direction it applies to, as `from->to` roles (e.g. `a->b`).
    pub direction: Option<String>,
    /// For a score: its band, `nb` or `wb`; left out of JSON for other measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    /// For a score: the Recommendation and edition that produced it (e.g.
    /// `ITU-T P.862.2 with Corrigendum 2 (2018)`); left out of JSON for other measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
}

/// A measured value over the time of one played reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Index of the step that produced it (as in [`StepReport::index`]).
    pub step: usize,
    /// Audio direction it applies to, as `from->to` roles.
    pub direction: Option<String>,
    /// What it tracks: `mos_lqo` (per stretch of the call), `delay_ms` (per utterance),
    /// `disturbance` and `asymmetric_disturbance` (per 32 ms frame).
    pub name: String,
    /// Unit of the values (`MOS`, `ms`, ...).
    pub unit: String,
    /// `[start_s, end_s, value]`: a stretch of the reference, in seconds from its start,
    /// and the value over it.
    pub points: Vec<[f64; 3]>,
}

/// One assertion of the scenario and its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Index of the step the assertion belongs to.
    pub step: usize,
    /// What was checked (e.g. `mos_lqo`, `dtmf`, `state`).
    pub name: String,
    /// The expectation, as written (e.g. `>= 3.5`, `"123"`).
    pub expected: String,
    /// What was found (e.g. `3.91`, `"12"`).
    pub actual: String,
    /// Whether the expectation held.
    pub passed: bool,
}

/// A file kept as evidence for a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// What it is: `reference`, `recording`, `command-log`, `logcat`, ...
    pub kind: String,
    /// Path relative to the run folder (e.g. `cases/mo-call.1/b-ear.wav`).
    pub path: String,
    /// Role of the party it belongs to, if any.
    pub party: Option<String>,
    /// Index of the step that produced it (as in [`StepReport::index`]), if a step did.
    #[serde(default)]
    pub step: Option<usize>,
}

/// Where a case's time went, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Time spent playing and recording audio.
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub audio_s: f64,
    /// Time spent waiting for call states.
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub waits_s: f64,
    /// Everything else (device commands, analysis, bookkeeping).
    #[serde(deserialize_with = "crate::num::f64_or_nan")]
    pub overhead_s: f64,
}

/// Outcome of a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// Every step ran and every expectation held.
    Pass,
    /// The network or handsets misbehaved: the case found a defect.
    Failure {
        /// Category of the first failure (the earliest step's first failing check).
        kind: FailureKind,
        /// What went wrong, for humans: every failure of the case, the first one first.
        message: String,
        /// Every failure of the case, the first one (the verdict's `kind`) first.
        #[serde(default)]
        failures: Vec<FailureDetail>,
    },
    /// The lab could not run the case: no statement about the network.
    Error {
        /// Category of the lab fault.
        kind: ErrorKind,
        /// What went wrong, for humans.
        message: String,
        /// Lab id (or serial) of the device or sound card at fault, if known.
        device: Option<String>,
    },
    /// The case was not run.
    Skipped {
        /// Why it was not run.
        reason: String,
    },
}

impl Verdict {
    /// The `status` string used in JSON: `pass`, `failure`, `error` or `skipped`.
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Failure { .. } => "failure",
            Verdict::Error { .. } => "error",
            Verdict::Skipped { .. } => "skipped",
        }
    }

    /// True for [`Verdict::Pass`].
    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Pass)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => f.write_str("pass"),
            Verdict::Failure { kind, message, .. } => write!(f, "failure ({kind}): {message}"),
            Verdict::Error {
                kind,
                message,
                device: Some(device),
            } => write!(f, "error ({kind}, device {device}): {message}"),
            Verdict::Error { kind, message, .. } => write!(f, "error ({kind}): {message}"),
            Verdict::Skipped { reason } => write!(f, "skipped: {reason}"),
        }
    }
}

/// One failure of a case: a check that did not hold, or a step the network made fail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureDetail {
    /// Index of the step it belongs to (as in [`StepReport::index`]).
    pub step: usize,
    /// Category of the failure.
    pub kind: FailureKind,
    /// What went wrong, for humans.
    pub message: String,
}

impl Verdict {
    /// A failure verdict from every failure of a case, the first one first: its kind is the
    /// verdict's, and the message lists them all. `None` when `failures` is empty.
    pub fn from_failures(failures: Vec<FailureDetail>) -> Option<Verdict> {
        let first = failures.first()?;
        let kind = first.kind;
        let message = failures
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        Some(Verdict::Failure {
            kind,
            message,
            failures,
        })
    }
}

/// Why a case failed: what the network or handsets did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureKind {
    /// The call could not be set up (dial rejected, no alerting).
    CallSetupFailure,
    /// The called party never rang.
    NoRinging,
    /// The call rang but was not answered in time.
    NotAnswered,
    /// An established call ended without a hangup step.
    DroppedCall,
    /// Nothing audible arrived in either direction.
    NoAudio,
    /// Audio arrived in one direction only.
    OneWayAudio,
    /// Mouth-to-ear delay above the limit.
    DelayTooHigh,
    /// MOS-LQO below the threshold.
    MosBelowThreshold,
    /// An expected tone was not detected.
    ToneMissing,
    /// The detected DTMF digits differ from the expected ones.
    DtmfMismatch,
    /// The received audio is not the reference that was played.
    WrongAudio,
    /// The received audio has gaps (dropouts).
    AudioGaps,
    /// The received level is outside the expected range.
    LevelOutOfRange,
    /// The delay drifts faster than allowed: the sound cards' clocks run apart.
    ClockDrift,
    /// A party reached a call state the scenario did not expect.
    UnexpectedState,
}

impl FailureKind {
    /// Every failure kind, in declaration order.
    pub const ALL: [FailureKind; 15] = [
        FailureKind::CallSetupFailure,
        FailureKind::NoRinging,
        FailureKind::NotAnswered,
        FailureKind::DroppedCall,
        FailureKind::NoAudio,
        FailureKind::OneWayAudio,
        FailureKind::DelayTooHigh,
        FailureKind::MosBelowThreshold,
        FailureKind::ToneMissing,
        FailureKind::DtmfMismatch,
        FailureKind::WrongAudio,
        FailureKind::AudioGaps,
        FailureKind::LevelOutOfRange,
        FailureKind::ClockDrift,
        FailureKind::UnexpectedState,
    ];

    /// The kind's name, as used for the JUnit failure `type` and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::CallSetupFailure => "CallSetupFailure",
            FailureKind::NoRinging => "NoRinging",
            FailureKind::NotAnswered => "NotAnswered",
            FailureKind::DroppedCall => "DroppedCall",
            FailureKind::NoAudio => "NoAudio",
            FailureKind::OneWayAudio => "OneWayAudio",
            FailureKind::DelayTooHigh => "DelayTooHigh",
            FailureKind::MosBelowThreshold => "MosBelowThreshold",
            FailureKind::ToneMissing => "ToneMissing",
            FailureKind::DtmfMismatch => "DtmfMismatch",
            FailureKind::WrongAudio => "WrongAudio",
            FailureKind::AudioGaps => "AudioGaps",
            FailureKind::LevelOutOfRange => "LevelOutOfRange",
            FailureKind::ClockDrift => "ClockDrift",
            FailureKind::UnexpectedState => "UnexpectedState",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Why the lab could not run a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorKind {
    /// A handset went offline or could not be reached over ADB.
    DeviceOffline,
    /// A device command failed (non-zero exit, unexpected output, timeout).
    DeviceCommandFailed,
    /// A sound card is missing or failed during playback or capture.
    SoundCardFailure,
    /// The lab could not be set up (no adb server, bad wiring, no free handset).
    LabSetup,
    /// The run was interrupted (signal, global timeout).
    Interrupted,
    /// A defect in farend itself.
    Internal,
}

impl ErrorKind {
    /// Every error kind, in declaration order.
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::DeviceOffline,
        ErrorKind::DeviceCommandFailed,
        ErrorKind::SoundCardFailure,
        ErrorKind::LabSetup,
        ErrorKind::Interrupted,
        ErrorKind::Internal,
    ];

    /// The kind's name, as used for the JUnit error `type` and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::DeviceOffline => "DeviceOffline",
            ErrorKind::DeviceCommandFailed => "DeviceCommandFailed",
            ErrorKind::SoundCardFailure => "SoundCardFailure",
            ErrorKind::LabSetup => "LabSetup",
            ErrorKind::Interrupted => "Interrupted",
            ErrorKind::Internal => "Internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// How many cases ended how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// All cases.
    pub total: usize,
    /// Cases with verdict pass.
    pub passed: usize,
    /// Cases with verdict failure.
    pub failed: usize,
    /// Cases with verdict error (lab faults).
    pub errors: usize,
    /// Cases not run.
    pub skipped: usize,
}

impl RunReport {
    /// Counts the cases by verdict.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            total: self.cases.len(),
            ..Counts::default()
        };
        for case in &self.cases {
            match case.verdict {
                Verdict::Pass => counts.passed += 1,
                Verdict::Failure { .. } => counts.failed += 1,
                Verdict::Error { .. } => counts.errors += 1,
                Verdict::Skipped { .. } => counts.skipped += 1,
            }
        }
        counts
    }

    /// Looks up a lab handset by its id.
    pub fn handset(&self, id: &str) -> Option<&HandsetInfo> {
        self.lab.handsets.iter().find(|h| h.id == id)
    }
}
