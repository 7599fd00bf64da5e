//! Runs a plan of call cases on a lab and turns what happened into a report.
//!
//! The runner binds each case's parties to free handsets, runs the steps with timeouts
//! (dial, answer, wait, play, sleep, hang up), keeps the evidence (call events, recordings,
//! command logs) under the run folder, judges expectations and always hangs up at the end.
//! Cases whose parties fit on disjoint handsets run at the same time, up to `jobs`.
//!
//! ```no_run
//! # async fn demo(plan: farend_scenario::Plan, lab: farend_runner::Lab, refs: farend_audio::RefLibrary) {
//! let options = farend_runner::RunOptions::new("reports/run-1".into());
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let report = farend_runner::run(&plan, &lab, &refs, &options, cancel, &|_event| {}).await;
//! farend_report::write_all(&report, &options.run_dir).unwrap();
//! # }
//! ```

mod call_phase;
mod case;
pub mod evidence;
pub mod expect;
pub mod lab;
mod monitor;
pub mod network;
mod picture;
pub mod pool;
mod precheck;

pub use lab::{Lab, LabHandset, LabSetupError};

use farend_audio::RefLibrary;
use farend_report::{CaseReport, ErrorKind, HandsetInfo, LabInfo, RunReport, Verdict};
use farend_scenario::Plan;
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How a run is carried out and where its evidence goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run folder: `junit.xml`, `results.json`, `report.html` and `cases/` go here.
    pub run_dir: PathBuf,
    /// The run's id, as shown in reports.
    pub run_id: String,
    /// How many cases may run at once (handsets permitting).
    pub jobs: usize,
    /// Whether phone numbers are redacted in reports.
    pub redact: bool,
    /// The virtual network's profiles and which one each case runs on.
    pub network: network::NetworkChoice,
}

impl RunOptions {
    /// Options with one job and redaction on; the run id is the folder's name.
    pub fn new(run_dir: PathBuf) -> RunOptions {
        let run_id = run_dir
            .file_name()
            .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        RunOptions {
            run_dir,
            run_id,
            jobs: 1,
            redact: true,
            network: Default::default(),
        }
    }
}

/// Progress of a run, for the command line.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// The lab's handsets answered (or not) before the first case.
    LabReady {
        /// Handsets that answered.
        reachable: usize,
        /// Handsets in the lab.
        total: usize,
    },
    /// A case got its handsets and started.
    CaseStarted {
        /// The case id.
        id: &'a str,
        /// The handsets bound to it, in party order.
        handsets: Vec<&'a str>,
    },
    /// A case ended.
    CaseFinished {
        /// Its report.
        report: &'a CaseReport,
    },
}

/// The current time as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A handset of the lab that cannot take part in cases, and why.
#[derive(Debug, Clone)]
struct Unusable {
    /// The lab's name for it.
    id: String,
    /// How it is reached (adb server and serial, or adbd address).
    address: String,
    /// What went wrong.
    error: String,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.id, self.address, self.error)
    }
}

/// How long a handset may take to say who it is before the run starts.
const IDENTIFY_TIMEOUT: Duration = Duration::from_secs(15);

/// Asks every handset who it is; those that do not answer are left out of the pool and
/// listed with their address and error.
async fn identify(lab: &Lab, redact: bool) -> (Vec<HandsetInfo>, Vec<usize>, Vec<Unusable>) {
    let answers =
        futures::future::join_all(lab.handsets.iter().map(|h| async move {
            tokio::time::timeout(IDENTIFY_TIMEOUT, h.device.identity()).await
        }))
        .await;
    let mut infos = Vec::new();
    let mut reachable = Vec::new();
    let mut unusable = Vec::new();
    for (i, (h, answer)) in lab.handsets.iter().zip(answers).enumerate() {
        let error = match answer {
            Ok(Ok(identity)) => {
                reachable.push(i);
                infos.push(handset_info(h, Some(identity), redact));
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!(
                "did not say who it is within {} s",
                IDENTIFY_TIMEOUT.as_secs()
            ),
        };
        infos.push(handset_info(h, None, redact));
        unusable.push(Unusable {
            id: h.id.clone(),
            address: h.device.connection().to_string(),
            error,
        });
    }
    (infos, reachable, unusable)
}

/// What the report says about a lab handset.
fn handset_info(
    h: &LabHandset,
    identity: Option<farend_device::Identity>,
    redact: bool,
) -> HandsetInfo {
    HandsetInfo {
        id: h.id.clone(),
        serial: if redact {
            farend_report::serial_alias(&h.serial)
        } else {
            h.serial.clone()
        },
        model: identity.as_ref().map(|i| i.model.clone()),
        manufacturer: identity.as_ref().map(|i| i.manufacturer.clone()),
        android_release: identity.as_ref().map(|i| i.android_release.clone()),
        number: if redact {
            farend_report::redact_number(&h.number)
        } else {
            h.number.clone()
        },
    }
}

/// The verdict of a case that needs more handsets than the lab can still give: names the
/// handsets that cannot be used, with their address and error.
fn too_few_handsets(needed: usize, usable: usize, total: usize, unusable: &[Unusable]) -> Verdict {
    let mut message =
        format!("needs {needed} handsets, the lab has {usable} usable ({total} in all)");
    if !unusable.is_empty() {
        let list: Vec<String> = unusable.iter().map(Unusable::to_string).collect();
        message.push_str(&format!("; unusable: {}", list.join("; ")));
    }
    Verdict::Error {
        kind: ErrorKind::LabSetup,
        message,
        device: unusable.first().map(|u| u.id.clone()),
    }
}

/// A case's report with its identity and verdict filled in and nothing else yet.
fn empty_report(case: &farend_scenario::Case, verdict: Verdict, started_at: String) -> CaseReport {
    let scenario = &case.scenario;
    CaseReport {
        id: case.id.clone(),
        suite: scenario.suite.clone(),
        scenario: scenario.name.clone(),
        scenario_file: scenario.path.display().to_string(),
        iteration: case.iteration,
        iterations: case.iterations,
        matrix: scenario.matrix.clone(),
        network: None,
        verdict,
        started_at,
        duration_s: 0.0,
        parties: Vec::new(),
        steps: Vec::new(),
        events: Vec::new(),
        measurements: Vec::new(),
        tracks: Vec::new(),
        checks: Vec::new(),
        attachments: Vec::new(),
        timing: Default::default(),
    }
}

/// The report of a case that never ran (no handsets for it, or the run was interrupted).
fn unrunnable(case: &farend_scenario::Case, verdict: Verdict) -> CaseReport {
    empty_report(case, verdict, now_rfc3339())
}

/// Runs every case of the plan and returns the whole run's report (never fails: lab faults
/// become `error` verdicts, a cancelled run marks what did not run as skipped).
pub async fn run(
    plan: &Plan,
    lab: &Lab,
    refs: &RefLibrary,
    options: &RunOptions,
    cancel: CancellationToken,
    on_event: &(dyn Fn(RunEvent<'_>) + Sync),
) -> RunReport {
    let started_at = now_rfc3339();
    let start = Instant::now();
    let (handsets, reachable, unusable) = identify(lab, options.redact).await;
    let redactor = options.redact.then(|| redactor(plan, lab));
    let unusable = std::sync::Mutex::new(unusable);
    on_event(RunEvent::LabReady {
        reachable: reachable.len(),
        total: lab.handsets.len(),
    });
    let pool = pool::Pool::new(reachable.len());

    let fingerprints = plan
        .cases
        .iter()
        .any(|c| c.scenario.steps.iter().any(expects_fingerprint))
        .then(|| Arc::new(fingerprint_index(refs)));
    let ctx = RunContext {
        fingerprints: fingerprints.as_ref(),
        lab,
        refs,
        options,
        cancel: &cancel,
        pool: &pool,
        reachable: &reachable,
        unusable: &unusable,
        redactor: redactor.as_ref(),
        on_event,
    };
    let mut cases: Vec<(usize, CaseReport)> = futures::stream::iter(plan.cases.iter().enumerate())
        .map(|(i, case)| {
            let ctx = &ctx;
            async move { (i, run_one(ctx, case).await) }
        })
        .buffer_unordered(options.jobs.max(1))
        .collect()
        .await;
    cases.sort_by_key(|(i, _)| *i);

    RunReport {
        run_id: options.run_id.clone(),
        farend_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        duration_s: start.elapsed().as_secs_f64(),
        lab: LabInfo {
            kind: lab.kind.clone(),
            source: lab.source.clone(),
            handsets,
        },
        redacted: options.redact,
        plan: plan_info(plan),
        cases: cases.into_iter().map(|(_, c)| c).collect(),
    }
}

/// The report's record of the plan: the whole plan's case ids and the shard, if any.
fn plan_info(plan: &Plan) -> farend_report::PlanInfo {
    match &plan.shard {
        Some(shard) => farend_report::PlanInfo {
            case_ids: shard.whole.clone(),
            shard: Some([shard.index, shard.count]),
        },
        None => farend_report::PlanInfo {
            case_ids: plan.case_ids(),
            shard: None,
        },
    }
}

/// What every case of a run shares.
struct RunContext<'a> {
    lab: &'a Lab,
    refs: &'a RefLibrary,
    options: &'a RunOptions,
    cancel: &'a CancellationToken,
    pool: &'a pool::Pool,
    reachable: &'a [usize],
    /// Handsets that did not answer before the run or went offline during it.
    unusable: &'a std::sync::Mutex<Vec<Unusable>>,
    /// Redacts numbers and identities, unless the run keeps them.
    redactor: Option<&'a farend_report::Redactor>,
    on_event: &'a (dyn Fn(RunEvent<'_>) + Sync),
    fingerprints: Option<&'a Arc<farend_dsp::fingerprint::Index>>,
}

/// Waits for handsets, runs one case and gives the handsets back (retiring a dead one).
async fn run_one(ctx: &RunContext<'_>, case: &farend_scenario::Case) -> CaseReport {
    let RunContext {
        lab,
        refs,
        options,
        cancel,
        pool,
        reachable,
        unusable,
        redactor,
        on_event,
        fingerprints,
    } = *ctx;
    let needed = case.scenario.parties.len();
    let too_few = || {
        let unusable = unusable.lock().unwrap_or_else(|e| e.into_inner());
        let verdict = too_few_handsets(needed, pool.alive(), lab.handsets.len(), &unusable);
        let mut report = unrunnable(case, verdict);
        if let Some(r) = redactor {
            r.case(&mut report);
        }
        report
    };
    let interrupted = || {
        unrunnable(
            case,
            Verdict::Skipped {
                reason: "the run was interrupted".into(),
            },
        )
    };
    if cancel.is_cancelled() {
        return interrupted();
    }
    let mut reservation = tokio::select! {
        biased;
        _ = cancel.cancelled() => return interrupted(),
        r = pool.reserve(needed) => match r {
            Some(r) => r,
            None => return too_few(),
        },
    };
    let bound: Vec<&LabHandset> = reservation
        .handsets
        .iter()
        .map(|&i| &lab.handsets[reachable[i]])
        .collect();
    on_event(RunEvent::CaseStarted {
        id: &case.id,
        handsets: bound.iter().map(|h| h.id.as_str()).collect(),
    });
    let run = case::CaseRun {
        case,
        bound,
        refs,
        run_dir: &options.run_dir,
        redactor,
        cancel: cancel.clone(),
        fingerprints: fingerprints.cloned(),
        network: options.network.for_scenario(&case.scenario),
        virtual_lab: lab.virtual_lab.as_deref(),
        bug_report: lab.bug_report_on_failure,
    };
    let report = case::run_case(&run, now_rfc3339()).await;
    // A handset that went offline stays out of the pool, so the next cases get others.
    retire_offline(ctx, &mut reservation, &report);
    drop(reservation);
    on_event(RunEvent::CaseFinished { report: &report });
    report
}

/// The redactor of a run: it knows every lab number and every number the plan dials.
fn redactor(plan: &Plan, lab: &Lab) -> farend_report::Redactor {
    let dialled = plan
        .cases
        .iter()
        .flat_map(|c| &c.scenario.steps)
        .filter_map(|step| match &step.kind {
            farend_scenario::StepKind::Dial {
                to: farend_scenario::DialTarget::Number(n),
                ..
            } => Some(n.as_str()),
            _ => None,
        });
    farend_report::Redactor::new(
        lab.handsets
            .iter()
            .map(|h| h.number.as_str())
            .chain(dialled),
    )
    .with_serials(lab.handsets.iter().map(|h| h.serial.as_str()))
}

/// Retires the handset a case's `device_offline` verdict names, and notes why it is unusable.
fn retire_offline(
    ctx: &RunContext<'_>,
    reservation: &mut pool::Reservation<'_>,
    report: &CaseReport,
) {
    let Verdict::Error {
        kind: ErrorKind::DeviceOffline,
        device: Some(device),
        message,
    } = &report.verdict
    else {
        return;
    };
    for i in reservation.handsets.clone() {
        let h = &ctx.lab.handsets[ctx.reachable[i]];
        if &h.id == device {
            reservation.retire(i);
            ctx.unusable
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Unusable {
                    id: h.id.clone(),
                    address: h.device.connection().to_string(),
                    error: format!("went offline in case {}: {message}", report.id),
                });
        }
    }
}

fn expects_fingerprint(step: &farend_scenario::Step) -> bool {
    matches!(&step.kind, farend_scenario::StepKind::Play { expect, .. } if expect.fingerprint.is_some())
}

/// Fingerprints every reference of the library (at 8 kHz: the fingerprint's band ends at 3 kHz).
pub fn fingerprint_index(refs: &RefLibrary) -> farend_dsp::fingerprint::Index {
    let mut index = farend_dsp::fingerprint::Index::new();
    for name in refs.names() {
        if let Ok(pcm) = refs.load(name, 8000) {
            // A reference too short to fingerprint simply cannot be identified.
            let _ = index.add(name, &pcm.to_f32(), pcm.rate);
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::{Unusable, too_few_handsets};
    use farend_report::{ErrorKind, Verdict};

    #[test]
    fn too_few_handsets_names_the_unusable_one_its_address_and_error() {
        let unusable = [Unusable {
            id: "vh-2".into(),
            address: "adbd at 127.0.0.1:1".into(),
            error: "vh-2: offline: connection refused".into(),
        }];
        let Verdict::Error {
            kind,
            message,
            device,
        } = too_few_handsets(2, 1, 2, &unusable)
        else {
            panic!("an error verdict");
        };
        assert_eq!(kind, ErrorKind::LabSetup);
        assert_eq!(device.as_deref(), Some("vh-2"));
        assert!(
            message.starts_with("needs 2 handsets, the lab has 1 usable (2 in all)")
                && message.contains("vh-2 (adbd at 127.0.0.1:1)")
                && message.contains("connection refused"),
            "{message}"
        );
    }
}
