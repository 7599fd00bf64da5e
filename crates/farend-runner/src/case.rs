//! Running one case: its steps in order, with timeouts, evidence and a verdict.

use crate::call_phase::{self, PhaseWait};
use crate::evidence::Evidence;
use crate::expect;
use crate::lab::LabHandset;
use crate::monitor::StateMonitor;
use farend_audio::RefLibrary;
use farend_device::{CallPhase, CallState, DeviceError, Number};
use farend_report::{
    CallEvent, CaseReport, ErrorKind, FailureDetail, FailureKind, PartyBinding, StepOutcome,
    StepReport, Timing, Verdict,
};
use farend_scenario::{CallStateName, Case, DialTarget, Step, StepKind};
use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;

/// Extra time a play step may take beyond its audio.
const PLAY_SLACK: Duration = Duration::from_secs(10);
/// The rate references are loaded at; the sound card resamples when its own rate differs.
const REFERENCE_RATE: u32 = 16000;
/// How long hanging up at the end of a case may take per handset.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one handset may take to hand over one piece of evidence (logcat, dumpsys).
const EVIDENCE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a step stopped the case.
#[derive(Debug)]
enum Stop {
    /// The network misbehaved: a call verdict.
    Failure(FailureKind, String),
    /// The lab misbehaved: the case could not be judged.
    Error(ErrorKind, String, Option<String>),
}

impl Stop {
    /// How the step that stopped ends, its message, and the case verdict it implies.
    fn outcome(self) -> (StepOutcome, String, Verdict) {
        let (outcome, message) = match &self {
            Stop::Failure(_, message) => (StepOutcome::Failed, message.clone()),
            Stop::Error(_, message, _) => (StepOutcome::Error, message.clone()),
        };
        (outcome, message, self.verdict())
    }

    fn verdict(self) -> Verdict {
        match self {
            Stop::Failure(kind, message) => Verdict::Failure {
                kind,
                message,
                failures: Vec::new(),
            },
            Stop::Error(kind, message, device) => Verdict::Error {
                kind,
                message,
                device,
            },
        }
    }
}

fn device_stop(err: DeviceError) -> Stop {
    let device = err.device().to_string();
    let kind = match &err {
        DeviceError::Timeout { .. } | DeviceError::Offline { .. } => ErrorKind::DeviceOffline,
        _ => ErrorKind::DeviceCommandFailed,
    };
    Stop::Error(kind, err.to_string(), Some(device))
}

/// Everything one case needs to run.
pub struct CaseRun<'a> {
    /// The case from the plan.
    pub case: &'a Case,
    /// Handsets bound to the scenario's parties, in party order.
    pub bound: Vec<&'a LabHandset>,
    /// Where references come from.
    pub refs: &'a RefLibrary,
    /// The run folder.
    pub run_dir: &'a Path,
    /// Redacts numbers and identities in everything the case writes; `None` keeps them.
    pub redactor: Option<&'a farend_report::Redactor>,
    /// Cancelled on Ctrl-C.
    pub cancel: CancellationToken,
    /// Fingerprints of every reference, when a scenario of the run checks which audio arrived.
    pub fingerprints: Option<Arc<farend_dsp::fingerprint::Index>>,
    /// The network profile the case's calls run on (`None`: the lab's default).
    pub network: Option<&'a farend_lab::NetworkProfile>,
    /// The built-in virtual lab, when the handsets are its.
    pub virtual_lab: Option<&'a farend_lab::VirtualLab>,
    /// After a case that did not pass, take each bound handset's bug report within this
    /// time; `None`: never.
    pub bug_report: Option<Duration>,
}

impl CaseRun<'_> {
    /// The name of the profile the case's calls run on; `None` on real handsets.
    fn network_name(&self) -> Option<String> {
        let lab = self.virtual_lab?;
        Some(
            self.network
                .unwrap_or_else(|| lab.default_profile())
                .name
                .clone(),
        )
    }
}

/// A play step's analysis, running on a blocking thread while the call goes on.
struct PendingAnalysis {
    /// The play step's index.
    step: usize,
    /// `talker->listener`, for messages.
    direction: String,
    expect: farend_scenario::Expectations,
    /// The lab's known latency on this path (talker's mic feed + listener's ear capture).
    fixed_delay: Duration,
    task: tokio::task::JoinHandle<expect::PlayAnalysis>,
}

struct State<'a> {
    run: &'a CaseRun<'a>,
    start: Instant,
    events: Arc<Mutex<Vec<CallEvent>>>,
    evidence: Evidence,
    measurements: Vec<farend_report::Measurement>,
    tracks: Vec<farend_report::Track>,
    checks: Vec<farend_report::Check>,
    in_call: BTreeSet<usize>,
    /// Parties whose call was seen up (active), not just dialing or alerting.
    established: BTreeSet<usize>,
    /// Parties that dialled in this case.
    dialers: BTreeSet<usize>,
    /// When the parties in a call were last seen in it.
    verified_at: Option<Instant>,
    audio: Duration,
    waits: Duration,
    /// Analyses of earlier plays not yet judged, oldest first.
    pending: VecDeque<PendingAnalysis>,
}

impl<'a> State<'a> {
    /// Judges the finished analyses of earlier plays, oldest first and in order (all of
    /// them when `wait`); returns every failed expectation with its step, in check order.
    async fn settle(&mut self, wait: bool) -> Vec<(usize, Stop)> {
        let mut stops = Vec::new();
        while let Some(front) = self.pending.front() {
            if !wait && !front.task.is_finished() {
                break;
            }
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            let mut analysis = match p.task.await {
                Ok(a) => a,
                Err(e) => {
                    let why = format!("analysis of {} failed: {e}", p.direction);
                    stops.push((p.step, Stop::Error(ErrorKind::Internal, why, None)));
                    continue;
                }
            };
            let fixed_ms = p.fixed_delay.as_secs_f64() * 1000.0;
            expect::remove_fixed_delay(&mut analysis, fixed_ms);
            let eval = expect::evaluate(p.step, &p.direction, &p.expect, &analysis);
            if fixed_ms > 0.0 {
                self.measurements.push(farend_report::Measurement {
                    step: p.step,
                    direction: Some(p.direction.clone()),
                    name: "fixed_delay_ms".into(),
                    value: fixed_ms,
                    unit: "ms".into(),
                    band: None,
                    standard: None,
                });
            }
            self.measurements.extend(eval.measurements);
            self.tracks.extend(eval.tracks);
            self.checks.extend(eval.checks);
            for f in eval.failures {
                stops.push((f.step, Stop::Failure(f.kind, f.message)));
            }
        }
        stops
    }

    fn party(&self, role: &str) -> (usize, &'a LabHandset) {
        let index = self
            .run
            .case
            .scenario
            .parties
            .iter()
            .position(|p| p == role)
            .expect("validated scenario names only its own parties");
        (index, self.run.bound[index])
    }

    fn event(&self, party: &str, event: String) {
        let at_ms = self.start.elapsed().as_secs_f64() * 1000.0;
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(CallEvent {
                at_ms,
                party: party.to_string(),
                event,
                source: farend_report::EventSource::Step,
            });
    }

    fn shown_number(&self, number: &str) -> String {
        shown_number(self.run, number)
    }

    async fn step(&mut self, step: &Step) -> Result<(), Stop> {
        match &step.kind {
            StepKind::Dial { from, to } => {
                let number = match to {
                    DialTarget::Party(p) => self.party(p).1.number.clone(),
                    DialTarget::Number(n) => n.clone(),
                };
                let number: Number = number.parse().map_err(|e| {
                    Stop::Error(
                        ErrorKind::LabSetup,
                        format!("cannot dial `{number}`: {e}"),
                        None,
                    )
                })?;
                let (index, h) = self.party(from);
                self.dialers.insert(index);
                self.event(from, format!("dial {}", self.shown_number(number.as_str())));
                h.device.dial(&number).await.map_err(device_stop)
            }
            StepKind::Answer { party } => {
                let (_, h) = self.party(party);
                self.event(party, "answer".into());
                h.device.answer().await.map_err(device_stop)
            }
            StepKind::Airplane { party, on } => {
                let (_, h) = self.party(party);
                let what = if *on {
                    "airplane mode on"
                } else {
                    "airplane mode off"
                };
                self.event(party, what.into());
                h.device.set_airplane_mode(*on).await.map_err(device_stop)
            }
            StepKind::Hangup { party } => {
                let (_, h) = self.party(party);
                self.event(party, "hang up".into());
                h.device.hang_up().await.map_err(device_stop)?;
                self.in_call.clear();
                self.established.clear();
                Ok(())
            }
            StepKind::Sleep { duration } => {
                tokio::time::sleep(*duration).await;
                self.waits += *duration;
                self.check_no_drop().await
            }
            StepKind::Wait {
                parties,
                state,
                within,
            } => {
                let t0 = Instant::now();
                let result = self.wait(parties, *state, *within).await;
                self.waits += t0.elapsed();
                result
            }
            StepKind::Play {
                reference,
                into,
                record,
                margin,
                expect,
            } => {
                self.check_no_drop().await?;
                self.play(step.index, reference, into, record, *margin, expect)
                    .await?;
                self.verified_at = None;
                self.check_no_drop().await
            }
        }
    }

    async fn wait(
        &mut self,
        parties: &[String],
        state: CallStateName,
        within: Duration,
    ) -> Result<(), Stop> {
        let want = match state {
            CallStateName::Idle => CallState::Idle,
            CallStateName::Ringing => CallState::Ringing,
            CallStateName::Offhook => CallState::Offhook,
            CallStateName::Alerting | CallStateName::Active => {
                return self.wait_phase(parties, state, within).await;
            }
        };
        let waits = parties.iter().map(|p| {
            let (i, h) = self.party(p);
            async move { (p, i, h.device.wait_for_state(want, within).await) }
        });
        let results = futures::future::join_all(waits).await;
        let never_rang = results.iter().any(|(_, _, r)| {
            want == CallState::Ringing && matches!(r, Err(DeviceError::StateTimeout { .. }))
        });
        // A callee that never rang because the network ended the setup: the caller's call
        // is gone, with the network's cause.
        let setup_ended = if never_rang {
            self.ended_setup().await
        } else {
            None
        };
        let mut first_stop = None;
        for (party, index, result) in results {
            match result {
                Err(DeviceError::StateTimeout { .. })
                    if want == CallState::Ringing && setup_ended.is_some() =>
                {
                    let (caller, cause) = setup_ended.clone().unwrap_or_default();
                    first_stop.get_or_insert(Stop::Failure(
                        FailureKind::CallSetupFailure,
                        format!(
                            "the call {caller} placed ended before {party} rang{}",
                            call_phase::cause_text(cause)
                        ),
                    ));
                }
                Ok(after) => {
                    self.event(
                        party,
                        format!("{want} reached (waited {} ms)", after.as_millis()),
                    );
                    if want == CallState::Offhook {
                        self.in_call.insert(index);
                        self.verified_at = Some(Instant::now());
                        self.note_established(index).await;
                    }
                }
                Err(DeviceError::StateTimeout { last, .. }) => {
                    let id = &self.run.bound[index].id;
                    let (kind, what) = match (want, last) {
                        (CallState::Ringing, _) => (FailureKind::NoRinging, "did not ring"),
                        (CallState::Offhook, Some(CallState::Ringing)) => (
                            FailureKind::NotAnswered,
                            "kept ringing and was not answered",
                        ),
                        (CallState::Offhook, _) if self.in_call.contains(&index) => {
                            (FailureKind::DroppedCall, "lost the call")
                        }
                        (CallState::Offhook, _) => {
                            (FailureKind::CallSetupFailure, "never got a call up")
                        }
                        (CallState::Idle, _) => {
                            (FailureKind::UnexpectedState, "did not return to idle")
                        }
                    };
                    first_stop.get_or_insert(Stop::Failure(
                        kind,
                        format!(
                            "{party} ({id}) {what} within {} s (last state: {})",
                            within.as_secs_f64(),
                            last.map_or_else(|| "unknown".to_string(), |s| s.to_string())
                        ),
                    ));
                }
                Err(other) => {
                    first_stop.get_or_insert(device_stop(other));
                }
            }
        }
        first_stop.map_or(Ok(()), Err)
    }

    /// The first party that dialled in this case and is idle again, with its last call's
    /// network disconnect cause: a setup the network ended before the callee rang.
    async fn ended_setup(&self) -> Option<(String, Option<farend_device::DisconnectCause>)> {
        for &index in &self.dialers {
            let h = self.run.bound[index];
            if h.device.call_state().await.ok()? != CallState::Idle {
                continue;
            }
            let cause = h
                .device
                .precise_call_state()
                .await
                .ok()
                .flatten()
                .and_then(|p| p.disconnect_cause);
            let role = &self.run.case.scenario.parties[index];
            return Some((format!("{role} ({})", h.id), cause));
        }
        None
    }

    /// Waits until every party's own call is `alerting` or `active` (the precise call
    /// state); a call that ends first is a setup failure carrying the network's cause.
    async fn wait_phase(
        &mut self,
        parties: &[String],
        state: CallStateName,
        within: Duration,
    ) -> Result<(), Stop> {
        let waits = parties.iter().map(|p| {
            let (i, h) = self.party(p);
            async move {
                let result = call_phase::wait_for_phase(&h.device, state, within).await;
                (p, i, result)
            }
        });
        let results = futures::future::join_all(waits).await;
        let mut first_stop = None;
        for (party, index, result) in results {
            let id = &self.run.bound[index].id;
            let stop = match result {
                Ok(PhaseWait::Reached(after)) => {
                    self.event(
                        party,
                        format!("{state} reached (waited {} ms)", after.as_millis()),
                    );
                    if state == CallStateName::Active {
                        self.in_call.insert(index);
                        self.established.insert(index);
                        self.verified_at = Some(Instant::now());
                    }
                    continue;
                }
                Ok(PhaseWait::Ended { last, cause }) => {
                    let (kind, what) = if self.established.contains(&index) {
                        (FailureKind::DroppedCall, "lost the call")
                    } else {
                        (FailureKind::CallSetupFailure, "had its call end")
                    };
                    Stop::Failure(
                        kind,
                        format!(
                            "{party} ({id}) {what} while {last}, before it was {state}{}",
                            call_phase::cause_text(cause)
                        ),
                    )
                }
                Ok(PhaseWait::TimedOut { last, cause }) => {
                    let kind = match (state, last) {
                        (CallStateName::Active, Some(CallPhase::Incoming)) => {
                            FailureKind::NotAnswered
                        }
                        (_, _) if self.established.contains(&index) => FailureKind::DroppedCall,
                        _ => FailureKind::CallSetupFailure,
                    };
                    Stop::Failure(
                        kind,
                        format!(
                            "{party} ({id}) was not {state} within {} s (last: {}){}",
                            within.as_secs_f64(),
                            last.map_or_else(|| "unknown".to_string(), |p| p.to_string()),
                            call_phase::cause_text(cause)
                        ),
                    )
                }
                Ok(PhaseWait::Unsupported) => Stop::Error(
                    ErrorKind::DeviceCommandFailed,
                    format!(
                        "{party} ({id}) does not report the precise call state \
                         (`mPreciseCallState` in `dumpsys telephony.registry`, Android 8 and \
                         later), so `{state}` cannot be observed on it (`active` is read from \
                         `dumpsys telecom` there); wait for `offhook` or `active` instead"
                    ),
                    Some(id.clone()),
                ),
                Err(e) => device_stop(e),
            };
            first_stop.get_or_insert(stop);
        }
        first_stop.map_or(Ok(()), Err)
    }

    /// Remembers that a party's call is up (active or held) when its handset says so; a
    /// caller that is only dialing or alerting is offhook but not yet in a call. Handsets
    /// that do not report the precise state are taken at their word (offhook).
    async fn note_established(&mut self, index: usize) {
        let precise = self.run.bound[index].device.precise_call_state().await;
        let established = match precise {
            Ok(Some(state)) => state.foreground.is_established(),
            Ok(None) | Err(_) => true,
        };
        if established {
            self.established.insert(index);
        }
    }

    /// A call that was up must still be up: if a party fell back to idle, the call dropped.
    /// Skipped when the call was seen up a moment ago (a wait or a check just did).
    async fn check_no_drop(&mut self) -> Result<(), Stop> {
        if self
            .verified_at
            .is_some_and(|t| t.elapsed() < Duration::from_millis(500))
        {
            return Ok(());
        }
        let parties: Vec<usize> = self.in_call.iter().copied().collect();
        let states = futures::future::join_all(
            parties
                .iter()
                .map(|&i| self.run.bound[i].device.call_state()),
        )
        .await;
        for (&index, state) in parties.iter().zip(states) {
            let h = self.run.bound[index];
            if state.map_err(device_stop)? == CallState::Idle {
                self.in_call.clear();
                let role = &self.run.case.scenario.parties[index];
                let cause = match h.device.precise_call_state().await {
                    Ok(Some(state)) => state.disconnect_cause,
                    _ => None,
                };
                // A caller that never got past dialing or alerting had no call to drop.
                let (kind, what) = if self.established.contains(&index) {
                    (FailureKind::DroppedCall, "dropped out of the call")
                } else {
                    (
                        FailureKind::CallSetupFailure,
                        "had its call end before it was answered",
                    )
                };
                return Err(Stop::Failure(
                    kind,
                    format!("{role} ({}) {what}{}", h.id, call_phase::cause_text(cause)),
                ));
            }
        }
        self.verified_at = Some(Instant::now());
        Ok(())
    }

    async fn play(
        &mut self,
        index: usize,
        reference: &str,
        into: &str,
        record: &str,
        margin: Duration,
        expect: &farend_scenario::Expectations,
    ) -> Result<(), Stop> {
        let (_, talker) = self.party(into);
        let (_, listener) = self.party(record);
        let direction = format!("{into}->{record}");
        let pcm = self.run.refs.load(reference, REFERENCE_RATE).map_err(|e| {
            Stop::Error(
                ErrorKind::LabSetup,
                format!("reference {reference}: {e}"),
                None,
            )
        })?;
        let record_len =
            Duration::from_secs_f64(pcm.samples.len() as f64 / pcm.rate as f64) + margin;
        self.event(into, format!("play {reference} (recording {record})"));
        let t0 = Instant::now();
        // By duration: a real card may run at another rate than the reference.
        let capture = farend_audio::play_and_record_for(
            &talker.mic,
            &listener.ear,
            &pcm,
            record_len,
            record_len + PLAY_SLACK,
        )
        .await;
        let stem = format!("step{index:02}-{into}-to-{record}");
        let capture = match capture {
            Ok(c) => c,
            Err(e) => {
                // A card that ran dry while playing still recorded the far end: keep it.
                if let farend_audio::AudioError::PlaybackFailed { capture, .. } = &e {
                    let _ = self.save_capture(&stem, index, (into, record), capture);
                }
                return Err(sound_card_stop(&e, &direction, talker, listener).await);
            }
        };
        self.audio += t0.elapsed().min(record_len);
        self.save_capture(&stem, index, (into, record), &capture)?;
        let picture = crate::picture::play_picture(
            (&capture.reference.to_f32(), capture.reference.rate),
            (&capture.recording.to_f32(), capture.recording.rate),
        );
        // The picture only illustrates the report: failing to write it stops nothing.
        let _ = self.evidence.save_bytes(
            farend_report::image::ATTACHMENT_KIND,
            &format!("{stem}-plot.png"),
            Some(record),
            index,
            &picture,
        );
        let task = self.analysis(reference, &capture, expect);
        self.pending.push_back(PendingAnalysis {
            step: index,
            direction,
            expect: expect.clone(),
            fixed_delay: talker.mic_delay + listener.ear_delay,
            task,
        });
        Ok(())
    }

    /// Keeps a play's reference (as the talker's) and recording (as the listener's).
    fn save_capture(
        &mut self,
        stem: &str,
        index: usize,
        (talker, listener): (&str, &str),
        capture: &farend_audio::Capture,
    ) -> Result<(), Stop> {
        // Both are tried, so one that cannot be written does not lose the other.
        let mut first_error = Ok(());
        for (kind, party, pcm) in [
            ("reference", talker, &capture.reference),
            ("recording", listener, &capture.recording),
        ] {
            let name = format!("{stem}-{kind}.wav");
            if let Err(e) = self.evidence.save_wav(kind, &name, Some(party), index, pcm) {
                first_error = first_error.and(Err(Stop::Error(
                    ErrorKind::Internal,
                    format!("saving {name}: {e}"),
                    None,
                )));
            }
        }
        first_error
    }

    /// Starts the analysis of a play (P.862, delay, fingerprint) on a blocking thread: it runs
    /// while the call goes on, and its verdict is applied to the step as soon as it is ready
    /// (see `settle`).
    fn analysis(
        &self,
        reference: &str,
        capture: &farend_audio::Capture,
        expect: &farend_scenario::Expectations,
    ) -> tokio::task::JoinHandle<expect::PlayAnalysis> {
        let reference_f32 = capture.reference.to_f32();
        let recording_f32 = capture.recording.to_f32();
        let rate = capture.recording.rate;
        let speech = !reference.starts_with("tones/");
        let fingerprints = self.run.fingerprints.clone();
        let played = reference.to_string();
        let wanted = expect.clone();
        tokio::task::spawn_blocking(move || {
            let library = fingerprints.as_deref().map(|index| expect::Library {
                index,
                played: &played,
            });
            expect::analyze(
                &reference_f32,
                &recording_f32,
                rate,
                speech,
                &wanted,
                library,
            )
        })
    }
}

/// Why a play's sound card failed: a handset that vanished (a card that vanished mid-call
/// usually is one) names the handset, anything else is a sound-card failure.
async fn sound_card_stop(
    e: &farend_audio::AudioError,
    direction: &str,
    talker: &LabHandset,
    listener: &LabHandset,
) -> Stop {
    for h in [talker, listener] {
        if let Err(dev) = h.device.call_state().await {
            return device_stop(dev);
        }
    }
    Stop::Error(
        ErrorKind::SoundCardFailure,
        format!("{direction}: {e}"),
        Some(talker.id.clone()),
    )
}

/// The failure a stop brings to step `step`, if it is a network failure (not a lab fault).
fn failure_of(step: usize, stop: &Stop) -> Option<FailureDetail> {
    match stop {
        Stop::Failure(kind, message) => Some(FailureDetail {
            step,
            kind: *kind,
            message: message.clone(),
        }),
        Stop::Error(..) => None,
    }
}

/// Records the verdicts of finished play analyses on their steps (a step with several failed
/// expectations lists them all) and in `failures`; the earliest step's first problem becomes
/// the case verdict.
fn apply_settled(stops: Vec<(usize, Stop)>, judged: &mut Judged) {
    let Judged {
        steps,
        verdict,
        failures,
    } = judged;
    // What a play recorded after the call dropped is the drop's doing (silence, gaps, a low
    // score): the drop is the verdict, not its consequences.
    let dropped_at = failures
        .iter()
        .filter(|f| f.kind == FailureKind::DroppedCall)
        .map(|f| f.step)
        .min();
    for (index, stop) in stops {
        if matches!(stop, Stop::Failure(..)) && dropped_at.is_some_and(|d| d <= index) {
            continue;
        }
        // The step that set the current verdict, if a step did (else the case set-up did).
        let verdict_step = steps
            .iter()
            .find(|s| matches!(s.outcome, StepOutcome::Failed | StepOutcome::Error))
            .map(|s| s.index);
        failures.extend(failure_of(index, &stop));
        let (outcome, message, v) = stop.outcome();
        if let Some(step) = steps.iter_mut().find(|s| s.index == index) {
            mark_step(step, outcome, message);
        }
        let earlier = verdict_step.is_some_and(|i| index < i);
        if verdict.is_pass() || earlier {
            *verdict = v;
        }
    }
}

/// Marks a step as failed (or errored) with `message`; a step that already failed keeps its
/// outcome and gets the message added to its own.
fn mark_step(step: &mut StepReport, outcome: StepOutcome, message: String) {
    let failed = matches!(step.outcome, StepOutcome::Failed | StepOutcome::Error);
    match &mut step.message {
        Some(existing) if failed => {
            existing.push_str("; ");
            existing.push_str(&message);
        }
        _ => {
            step.outcome = outcome;
            step.message = Some(message);
        }
    }
}

/// The case verdict with every failure of the case listed: a failure verdict keeps its kind
/// and its own failure first, followed by the others in step order; other verdicts are
/// returned as they are.
fn with_all_failures(verdict: Verdict, mut failures: Vec<FailureDetail>) -> Verdict {
    let Verdict::Failure { kind, message, .. } = &verdict else {
        return verdict;
    };
    failures.sort_by_key(|f| f.step);
    let Some(first) = failures
        .iter()
        .position(|f| f.kind == *kind && f.message == *message)
    else {
        return verdict;
    };
    let primary = failures.remove(first);
    failures.insert(0, primary);
    Verdict::from_failures(failures).unwrap_or(verdict)
}

/// The step's timeout: the scenario's (its own, its defaults, or the built-in default), but
/// never shorter than what the step must take anyway (a wait's `within`, a sleep, the audio).
fn step_timeout(step: &Step, refs: &RefLibrary) -> Duration {
    let floor_slack = Duration::from_secs(5);
    match &step.kind {
        StepKind::Wait { within, .. } => step.effective_timeout(None).max(*within + floor_slack),
        StepKind::Sleep { duration } => step.effective_timeout(None).max(*duration + floor_slack),
        StepKind::Play {
            reference, margin, ..
        } => {
            let len = refs
                .info(reference)
                .map(|i| Duration::from_secs_f64(i.duration_s));
            step.effective_timeout(len)
                .max(len.unwrap_or(Duration::from_secs(30)) + *margin + floor_slack)
        }
        _ => step.effective_timeout(None),
    }
}

/// Runs a case to its verdict, hangs up its calls and writes its logs; never panics on lab faults.
pub async fn run_case(run: &CaseRun<'_>, started_at: String) -> CaseReport {
    let start = Instant::now();
    let events = Arc::new(Mutex::new(Vec::new()));
    let (ran, verdict) = match Evidence::create(run.run_dir, &run.case.id) {
        Ok(evidence) => run_in_folder(run, start, &events, evidence).await,
        Err(e) => (
            Ran::default(),
            Verdict::Error {
                kind: ErrorKind::Internal,
                message: format!("cannot create the case folder: {e}"),
                device: None,
            },
        ),
    };
    let duration = start.elapsed();
    let mut events = std::mem::take(&mut *events.lock().unwrap_or_else(|e| e.into_inner()));
    events.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    let mut report = CaseReport {
        duration_s: duration.as_secs_f64(),
        parties: bind_parties(run),
        steps: ran.steps,
        events,
        measurements: ran.measurements,
        tracks: ran.tracks,
        checks: ran.checks,
        attachments: ran.attachments,
        timing: Timing {
            audio_s: ran.audio.as_secs_f64(),
            waits_s: ran.waits.as_secs_f64(),
            overhead_s: duration.saturating_sub(ran.audio + ran.waits).as_secs_f64(),
        },
        network: run.network_name(),
        ..crate::empty_report(run.case, verdict, started_at)
    };
    if let Some(r) = run.redactor {
        r.case(&mut report);
    }
    report
}

/// What running a case in its evidence folder produced, besides its verdict.
#[derive(Default)]
struct Ran {
    steps: Vec<StepReport>,
    measurements: Vec<farend_report::Measurement>,
    tracks: Vec<farend_report::Track>,
    checks: Vec<farend_report::Check>,
    attachments: Vec<farend_report::Attachment>,
    audio: Duration,
    waits: Duration,
}

/// The steps reported so far, the case verdict so far and every failure seen.
struct Judged {
    steps: Vec<StepReport>,
    verdict: Verdict,
    failures: Vec<FailureDetail>,
}

/// `number` as the case's files show it: redacted unless the run keeps numbers.
fn shown_number(run: &CaseRun<'_>, number: &str) -> String {
    if run.redactor.is_some() {
        farend_report::redact_number(number)
    } else {
        number.to_string()
    }
}

/// `text` redacted unless the run keeps numbers.
fn shown_text(run: &CaseRun<'_>, text: String) -> String {
    match run.redactor {
        Some(r) => r.text(&text),
        None => text,
    }
}

/// Which handset plays which role, numbers redacted when the report is.
fn bind_parties(run: &CaseRun<'_>) -> Vec<PartyBinding> {
    run.case
        .scenario
        .parties
        .iter()
        .zip(&run.bound)
        .map(|(role, h)| PartyBinding {
            role: role.clone(),
            handset: h.id.clone(),
            number: shown_number(run, &h.number),
        })
        .collect()
}

/// Runs the case's steps while the state monitor watches, hangs up, judges the last analyses
/// and saves the logs.
async fn run_in_folder(
    run: &CaseRun<'_>,
    start: Instant,
    events: &Arc<Mutex<Vec<CallEvent>>>,
    evidence: Evidence,
) -> (Ran, Verdict) {
    let scenario = &run.case.scenario;
    let monitor = StateMonitor::start(
        scenario
            .parties
            .iter()
            .cloned()
            .zip(run.bound.iter().map(|h| h.device.clone()))
            .collect(),
        start,
        events.clone(),
    );
    let mut state = State {
        run,
        start,
        events: events.clone(),
        evidence,
        measurements: Vec::new(),
        tracks: Vec::new(),
        checks: Vec::new(),
        in_call: BTreeSet::new(),
        established: BTreeSet::new(),
        dialers: BTreeSet::new(),
        verified_at: None,
        audio: Duration::ZERO,
        waits: Duration::ZERO,
        pending: VecDeque::new(),
    };
    let mut judged = Judged {
        steps: Vec::new(),
        verdict: Verdict::Pass,
        failures: Vec::new(),
    };
    let since = CaseStart {
        marks: run.bound.iter().map(|h| h.device.command_mark()).collect(),
        at: SystemTime::now(),
    };
    // Handsets left in a call by an earlier case or by hand would spoil this one.
    if let Err(stop) = prepare(run).await {
        judged.verdict = stop.verdict();
    }
    if let Err(verdict) = set_network(run) {
        judged.verdict = verdict;
    } else if let Err(verdict) = crate::precheck::pre_check(run).await {
        judged.verdict = verdict;
    }
    for step in &scenario.steps {
        run_step(&mut state, step, &mut judged).await;
    }
    monitor.stop().await;
    cleanup(run).await;
    let settled = state.settle(true).await;
    apply_settled(settled, &mut judged);
    let verdict = with_all_failures(judged.verdict, judged.failures);
    save_logs(&mut state, &since).await;
    if !verdict.is_pass() {
        save_bug_reports(&mut state).await;
    }
    save_network_truth(&mut state);
    let ran = Ran {
        steps: judged.steps,
        measurements: state.measurements,
        tracks: state.tracks,
        checks: state.checks,
        attachments: state.evidence.attachments,
        audio: state.audio,
        waits: state.waits,
    };
    (ran, verdict)
}

/// Runs one step (skips it once the case has a verdict), reports it, and judges the play
/// analyses that finished meanwhile.
async fn run_step(state: &mut State<'_>, step: &Step, judged: &mut Judged) {
    let t0 = state.start.elapsed();
    let (outcome, message) = if !judged.verdict.is_pass() {
        (StepOutcome::Skipped, None)
    } else {
        match execute(state, step).await {
            Ok(()) => (StepOutcome::Ok, None),
            Err(stop) => {
                judged.failures.extend(failure_of(step.index, &stop));
                let (outcome, message, v) = stop.outcome();
                judged.verdict = v;
                (outcome, Some(message))
            }
        }
    };
    judged.steps.push(StepReport {
        index: step.index,
        name: step.name.clone(),
        keyword: step.kind.keyword().to_string(),
        description: step.kind.describe(),
        started_ms: t0.as_secs_f64() * 1000.0,
        duration_ms: (state.start.elapsed() - t0).as_secs_f64() * 1000.0,
        outcome,
        message,
    });
    let settled = state.settle(false).await;
    apply_settled(settled, judged);
}

/// Runs one step within its timeout, or until the run is cancelled.
async fn execute(state: &mut State<'_>, step: &Step) -> Result<(), Stop> {
    let limit = step_timeout(step, state.run.refs);
    let cancel = state.run.cancel.clone();
    let bound = state.run.bound.clone();
    let work = state.step(step);
    tokio::pin!(work);
    tokio::select! {
        r = &mut work => r,
        // Judged while the step still waits, so its command still shows as in flight.
        _ = tokio::time::sleep(limit) => Err(step_timed_out(step, limit, &bound)),
        _ = cancel.cancelled() => Err(Stop::Error(ErrorKind::Interrupted, "interrupted".into(), None)),
    }
}

/// The error of a step that ran out of time: the handset that has kept a command waiting
/// longest, when one has (a handset that stopped answering), else the step alone.
fn step_timed_out(step: &Step, limit: Duration, bound: &[&LabHandset]) -> Stop {
    let what = format!(
        "step {} ({}) did not finish within {} s",
        step.index,
        step.kind.describe(),
        limit.as_secs_f64()
    );
    let waiting = bound
        .iter()
        .filter_map(|h| {
            h.device
                .in_flight()
                .map(|(command, waited)| (h, command, waited))
        })
        .max_by_key(|(_, _, waited)| *waited);
    match waiting {
        Some((h, command, waited)) => Stop::Error(
            ErrorKind::DeviceOffline,
            format!(
                "{what}: handset {} has not answered `{command}` for {:.1} s",
                h.id,
                waited.as_secs_f64()
            ),
            Some(h.id.clone()),
        ),
        None => Stop::Error(ErrorKind::DeviceCommandFailed, what, None),
    }
}

/// Where a case's share of each handset's logs begins.
struct CaseStart {
    /// Each bound handset's command-log mark, in party order.
    marks: Vec<u64>,
    /// When the case started (for logcat).
    at: SystemTime,
}

/// Saves each party's evidence of the case: its command log (the commands this case sent,
/// with their replies), its main, system and radio logcat from the case's start to after
/// the hang-up, and a `dumpsys telecom` snapshot taken after the call.
async fn save_logs(state: &mut State<'_>, since: &CaseStart) {
    let run = state.run;
    let parties = run.case.scenario.parties.iter().zip(&run.bound);
    for ((role, h), &mark) in parties.zip(&since.marks) {
        let log = render_command_log(&h.device.take_command_log_since(mark));
        let _ = state.evidence.save_text(
            "command-log",
            &format!("commands-{role}.txt"),
            Some(role),
            &shown_text(run, log),
        );
        let logcat = tokio::time::timeout(EVIDENCE_TIMEOUT, h.device.logcat_since(since.at));
        if let Ok(Ok(text)) = logcat.await {
            let _ = state.evidence.save_text(
                "logcat",
                &format!("logcat-{role}.txt"),
                Some(role),
                &shown_text(run, text),
            );
        }
        let telecom = tokio::time::timeout(EVIDENCE_TIMEOUT, h.device.telecom_dump());
        if let Ok(Ok(text)) = telecom.await {
            let _ = state.evidence.save_text(
                "telecom",
                &format!("telecom-{role}.txt"),
                Some(role),
                &shown_text(run, text),
            );
        }
    }
}

/// Takes every bound handset's bug report at once (when the lab file asks for them after a
/// case that did not pass) and keeps each as `bugreport-<role>.zip` or `.txt`, redacted as
/// every other file: a zip's text entries are redacted and its other entries left out. A
/// handset that gives none is named in the command log, which records the failed command.
async fn save_bug_reports(state: &mut State<'_>) {
    let run = state.run;
    let Some(within) = run.bug_report else {
        return;
    };
    let reports = run.bound.iter().map(|h| async move {
        // The device layer bounds each part by `within`; this bounds the whole.
        tokio::time::timeout(within + Duration::from_secs(5), h.device.bug_report(within)).await
    });
    let reports = futures::future::join_all(reports).await;
    for (role, report) in run.case.scenario.parties.iter().zip(reports) {
        let saved = match report {
            Ok(Ok(farend_device::BugReport::Text(text))) => state.evidence.save_text(
                "bugreport",
                &format!("bugreport-{role}.txt"),
                Some(role),
                &shown_text(run, text),
            ),
            Ok(Ok(farend_device::BugReport::Zip(zip))) => {
                let zip = match run.redactor {
                    Some(r) => match farend_report::redact_zip(&zip, r) {
                        Ok(zip) => zip,
                        Err(e) => {
                            tracing::warn!(party = %role, "bug report not kept: {e}");
                            continue;
                        }
                    },
                    None => zip,
                };
                state.evidence.save_file(
                    "bugreport",
                    &format!("bugreport-{role}.zip"),
                    Some(role),
                    &zip,
                )
            }
            Ok(Err(e)) => {
                tracing::warn!(party = %role, "no bug report: {e}");
                continue;
            }
            Err(_) => {
                tracing::warn!(party = %role, "no bug report within {within:?}");
                continue;
            }
        };
        if let Err(e) = saved {
            tracing::warn!(party = %role, "cannot write the bug report: {e}");
        }
    }
}

/// Puts the calls the case's handsets place on the case's network profile (virtual lab).
fn set_network(run: &CaseRun<'_>) -> Result<(), Verdict> {
    let Some(lab) = run.virtual_lab else {
        return Ok(());
    };
    for h in &run.bound {
        lab.set_profile(&h.id, run.network.cloned())
            .map_err(|e| Verdict::Error {
                kind: ErrorKind::LabSetup,
                message: format!("network profile for {}: {e}", h.id),
                device: Some(h.id.clone()),
            })?;
    }
    Ok(())
}

/// Writes `network-truth.json`: what the virtual network really did to the case's calls.
fn save_network_truth(state: &mut State<'_>) {
    let run = state.run;
    let (Some(lab), Some(profile)) = (run.virtual_lab, run.network_name()) else {
        return;
    };
    let truths: Vec<farend_lab::CallTruth> = run
        .bound
        .iter()
        .flat_map(|h| lab.take_truths(&h.id))
        .collect();
    let parties = &run.case.scenario.parties;
    let role_of = |idx: usize| {
        let id = lab.handsets().get(idx).map(|h| h.id.as_str());
        run.bound
            .iter()
            .zip(parties)
            .find(|(h, _)| Some(h.id.as_str()) == id)
            .map_or_else(|| id.unwrap_or("?").to_owned(), |(_, role)| role.clone())
    };
    let json = crate::network::truth_json(&profile, &truths, &role_of);
    let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    let _ = state
        .evidence
        .save_text("network-truth", "network-truth.json", None, &text);
}

/// Hangs up any call the bound handsets are still in before the case starts.
async fn prepare(run: &CaseRun<'_>) -> Result<(), Stop> {
    let hangups = run.bound.iter().map(|h| async move {
        if h.device.hang_up().await? {
            h.device
                .wait_for_state(CallState::Idle, Duration::from_secs(5))
                .await?;
        }
        Ok::<(), DeviceError>(())
    });
    for result in futures::future::join_all(hangups).await {
        result.map_err(device_stop)?;
    }
    Ok(())
}

/// Hangs up whatever the case left up, on every bound handset, whatever happened before.
async fn cleanup(run: &CaseRun<'_>) {
    let hangups = run.bound.iter().map(|h| async move {
        let _ = tokio::time::timeout(CLEANUP_TIMEOUT, h.device.hang_up()).await;
    });
    futures::future::join_all(hangups).await;
}

/// One line per command: when, how long, exit status, the command line (and the error, if
/// any), then its reply, each line indented by `> `; a reply identical to the one the same
/// command got last time (state polling) is not repeated.
fn render_command_log(log: &[farend_device::CommandRecord]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut last_reply: std::collections::HashMap<&str, &str> = Default::default();
    for r in log {
        let at = time::OffsetDateTime::from(r.at)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let rc = r
            .exit_code
            .map_or_else(|| "-".to_string(), |c| c.to_string());
        let _ = write!(
            out,
            "{at} {:>6.0} ms rc={rc:<3} {}",
            r.duration.as_secs_f64() * 1000.0,
            r.command
        );
        if let Some(e) = &r.error {
            let _ = write!(out, "  # error: {e}");
        }
        out.push('\n');
        if last_reply.insert(&r.command, &r.reply) == Some(r.reply.as_str()) && !r.reply.is_empty()
        {
            out.push_str("    > (same reply as before)\n");
            continue;
        }
        for line in r.reply.lines() {
            let _ = writeln!(out, "    > {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Judged, Stop, apply_settled, render_command_log, with_all_failures};
    use farend_report::{ErrorKind, FailureKind, StepOutcome, StepReport, Verdict};

    fn step(index: usize, outcome: StepOutcome) -> StepReport {
        StepReport {
            index,
            name: None,
            keyword: "play".into(),
            description: format!("step {index}"),
            started_ms: 0.0,
            duration_ms: 0.0,
            outcome,
            message: None,
        }
    }

    #[test]
    fn a_late_analysis_failure_marks_its_step_and_wins_over_later_steps() {
        // Step 6 failed by itself (a lab fault); step 5's analysis, finished later, failed too.
        let mut judged = Judged {
            steps: vec![
                step(5, StepOutcome::Ok),
                step(6, StepOutcome::Error),
                step(7, StepOutcome::Skipped),
            ],
            verdict: Verdict::Error {
                kind: ErrorKind::DeviceOffline,
                message: "vh-2 offline".into(),
                device: Some("vh-2".into()),
            },
            failures: Vec::new(),
        };
        let late = vec![(
            5,
            Stop::Failure(FailureKind::DelayTooHigh, "a->b: delay 450 ms".into()),
        )];
        apply_settled(late, &mut judged);
        assert_eq!(judged.steps[0].outcome, StepOutcome::Failed);
        assert_eq!(
            judged.steps[0].message.as_deref(),
            Some("a->b: delay 450 ms")
        );
        assert!(
            matches!(
                &judged.verdict,
                Verdict::Failure {
                    kind: FailureKind::DelayTooHigh,
                    ..
                }
            ),
            "{:?}",
            judged.verdict
        );
        // A later step's late failure does not replace the earlier verdict.
        let late = vec![(
            7,
            Stop::Failure(FailureKind::OneWayAudio, "b->a: silent".into()),
        )];
        apply_settled(late, &mut judged);
        assert_eq!(judged.steps[2].outcome, StepOutcome::Failed);
        assert!(
            matches!(
                &judged.verdict,
                Verdict::Failure {
                    kind: FailureKind::DelayTooHigh,
                    ..
                }
            ),
            "{:?}",
            judged.verdict
        );
    }

    #[test]
    fn the_command_log_shows_each_reply_under_its_command() {
        let record = |argv: &[&str], reply: &str| farend_device::CommandRecord {
            at: std::time::SystemTime::UNIX_EPOCH,
            argv: argv.iter().map(|s| s.to_string()).collect(),
            command: format!("{} ; echo :farend-rc:$?", argv.join(" ")),
            exit_code: Some(0),
            duration: std::time::Duration::from_millis(12),
            output_bytes: reply.len(),
            reply: reply.into(),
            error: None,
        };
        let log = render_command_log(&[
            record(&["getprop", "ro.product.model"], "Pixel 7\n"),
            record(&["input", "keyevent", "KEYCODE_CALL"], ""),
            record(&["getprop", "ro.product.model"], "Pixel 7\n"),
            record(&["getprop", "ro.product.model"], "Pixel 8\n"),
        ]);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 7, "{log}");
        assert!(lines[0].ends_with("rc=0   getprop ro.product.model ; echo :farend-rc:$?"));
        assert_eq!(lines[1], "    > Pixel 7");
        assert!(lines[2].contains("input keyevent KEYCODE_CALL"));
        assert_eq!(lines[4], "    > (same reply as before)");
        assert_eq!(lines[6], "    > Pixel 8");
    }

    #[test]
    fn every_failure_of_a_case_is_listed_with_the_first_as_the_verdict() {
        // Step 5's analysis fails two checks, step 7's one; step 6 failed by itself.
        let mut judged = Judged {
            steps: vec![
                step(5, StepOutcome::Ok),
                step(6, StepOutcome::Failed),
                step(7, StepOutcome::Skipped),
            ],
            verdict: Verdict::Failure {
                kind: FailureKind::NoRinging,
                message: "b did not ring".into(),
                failures: Vec::new(),
            },
            failures: vec![farend_report::FailureDetail {
                step: 6,
                kind: FailureKind::NoRinging,
                message: "b did not ring".into(),
            }],
        };
        let late = vec![
            (
                7,
                Stop::Failure(FailureKind::OneWayAudio, "b->a: silent".into()),
            ),
            (
                5,
                Stop::Failure(FailureKind::MosBelowThreshold, "a->b: MOS 2.1".into()),
            ),
            (
                5,
                Stop::Failure(FailureKind::DelayTooHigh, "a->b: delay 450 ms".into()),
            ),
        ];
        apply_settled(late, &mut judged);
        assert_eq!(
            judged.steps[0].message.as_deref(),
            Some("a->b: MOS 2.1; a->b: delay 450 ms"),
            "a step lists all its failed checks"
        );
        let verdict = with_all_failures(judged.verdict, judged.failures);
        let Verdict::Failure {
            kind,
            message,
            failures,
        } = verdict
        else {
            panic!("a failure verdict: {verdict:?}");
        };
        assert_eq!(
            kind,
            FailureKind::MosBelowThreshold,
            "the first one decides"
        );
        assert_eq!(
            message,
            "a->b: MOS 2.1; a->b: delay 450 ms; b did not ring; b->a: silent"
        );
        let kinds: Vec<FailureKind> = failures.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                FailureKind::MosBelowThreshold,
                FailureKind::DelayTooHigh,
                FailureKind::NoRinging,
                FailureKind::OneWayAudio
            ]
        );
        assert_eq!(
            failures.iter().map(|f| f.step).collect::<Vec<_>>(),
            [5, 5, 6, 7]
        );
    }

    #[test]
    fn what_a_play_recorded_after_the_call_dropped_is_not_a_failure_of_its_own() {
        let mut judged = Judged {
            steps: vec![step(5, StepOutcome::Ok), step(6, StepOutcome::Failed)],
            verdict: Verdict::Failure {
                kind: FailureKind::DroppedCall,
                message: "b dropped out of the call".into(),
                failures: Vec::new(),
            },
            failures: vec![farend_report::FailureDetail {
                step: 6,
                kind: FailureKind::DroppedCall,
                message: "b dropped out of the call".into(),
            }],
        };
        let late = vec![
            (
                5,
                Stop::Failure(FailureKind::DelayTooHigh, "a->b: 450 ms".into()),
            ),
            (
                6,
                Stop::Failure(FailureKind::AudioGaps, "a->b: 2 s gap".into()),
            ),
        ];
        apply_settled(late, &mut judged);
        let kinds: Vec<FailureKind> = judged.failures.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [FailureKind::DroppedCall, FailureKind::DelayTooHigh],
            "the play before the drop keeps its failure, the one it cut short does not"
        );
    }

    #[test]
    fn a_lab_fault_verdict_is_kept_as_it_is() {
        let error = Verdict::Error {
            kind: ErrorKind::DeviceOffline,
            message: "vh-2 offline".into(),
            device: None,
        };
        let failures = vec![farend_report::FailureDetail {
            step: 7,
            kind: FailureKind::OneWayAudio,
            message: "b->a: silent".into(),
        }];
        assert_eq!(with_all_failures(error.clone(), failures), error);
    }
}
