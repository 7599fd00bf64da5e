//! Joining the shards of one plan (`farend run --shard I/N` on several hosts) into one run.
//!
//! The shards must come from the same plan (the same case ids in the same order) and must
//! not overlap. Cases of the plan that no shard ran are kept as skipped, so a missing shard
//! shows in the merged report instead of vanishing. Handsets of different shards that share
//! a lab id but are different phones get the shard's run id appended to their id.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{CaseReport, HandsetInfo, LabInfo, PlanInfo, RunReport, Timing, Verdict};

/// Why runs cannot be merged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no runs to merge")]
    NoRuns,
    /// A run does not record its plan.
    #[error("run {run}: no plan recorded (written by an older farend); cannot tell its plan")]
    NoPlan {
        /// Run id.
        run: String,
    },
    /// Two runs were cut from different plans.
    #[error(
        "runs {first} and {other} come from different plans: {difference}; \
         merge only shards of one `farend run --shard I/N` plan"
    )]
    DifferentPlans {
        /// Run id of the first run.
        first: String,
        /// Run id of the run whose plan differs.
        other: String,
        /// The first difference, for humans.
        difference: String,
    },
    /// Two runs both executed a case.
    #[error("case {case} is in both run {first} and run {other} (the same shard twice?)")]
    Overlap {
        /// The case id.
        case: String,
        /// Run id of the first run holding it.
        first: String,
        /// Run id of the second run holding it.
        other: String,
    },
}

/// The merged run and what the caller should tell the user.
#[derive(Debug)]
pub struct Merged {
    /// The joined run.
    pub report: RunReport,
    /// Case ids of the plan that none of the runs executed (kept as skipped).
    pub missing: Vec<String>,
}

/// Joins shards of one plan into one run with the given run id.
pub fn merge(runs: &[RunReport], run_id: &str) -> Result<Merged, MergeError> {
    let first = runs.first().ok_or(MergeError::NoRuns)?;
    check_same_plan(runs)?;
    let mut owner: BTreeMap<&str, &RunReport> = BTreeMap::new();
    for run in runs {
        for case in &run.cases {
            if let Some(previous) = owner.insert(&case.id, run)
                && !std::ptr::eq(previous, run)
            {
                return Err(MergeError::Overlap {
                    case: case.id.clone(),
                    first: previous.run_id.clone(),
                    other: run.run_id.clone(),
                });
            }
        }
    }
    let (lab, renames) = merged_lab(runs);
    let mut cases = Vec::new();
    let mut missing = Vec::new();
    for id in &first.plan.case_ids {
        let found = runs
            .iter()
            .enumerate()
            .find_map(|(k, run)| Some((k, run.cases.iter().find(|c| &c.id == id)?)));
        match found {
            Some((k, case)) => cases.push(with_renamed_parties(case, &renames[k])),
            None => {
                missing.push(id.clone());
                cases.push(not_run(id));
            }
        }
    }
    let (started_at, duration_s) = span(runs);
    Ok(Merged {
        report: RunReport {
            run_id: run_id.to_string(),
            farend_version: first.farend_version.clone(),
            started_at,
            duration_s,
            lab,
            redacted: runs.iter().all(|r| r.redacted),
            plan: PlanInfo {
                case_ids: first.plan.case_ids.clone(),
                shard: None,
            },
            cases,
        },
        missing,
    })
}

fn check_same_plan(runs: &[RunReport]) -> Result<(), MergeError> {
    let first = &runs[0];
    for run in runs {
        if run.plan.case_ids.is_empty() {
            return Err(MergeError::NoPlan {
                run: run.run_id.clone(),
            });
        }
    }
    for run in &runs[1..] {
        let (a, b) = (&first.plan.case_ids, &run.plan.case_ids);
        if a == b {
            continue;
        }
        let difference = match a.iter().zip(b).position(|(x, y)| x != y) {
            Some(i) => format!(
                "case {} is `{}` in one and `{}` in the other",
                i + 1,
                a[i],
                b[i]
            ),
            None => format!("{} cases against {}", a.len(), b.len()),
        };
        return Err(MergeError::DifferentPlans {
            first: first.run_id.clone(),
            other: run.run_id.clone(),
            difference,
        });
    }
    Ok(())
}

/// Every run's handsets in one list; per run, the ids renamed where another run had a
/// different phone under the same id.
fn merged_lab(runs: &[RunReport]) -> (LabInfo, Vec<BTreeMap<String, String>>) {
    let mut handsets: Vec<HandsetInfo> = Vec::new();
    let mut renames = Vec::new();
    for run in runs {
        let mut rename = BTreeMap::new();
        for h in &run.lab.handsets {
            match handsets.iter().find(|known| known.id == h.id) {
                Some(known) if same_phone(known, h) => {}
                Some(_) => {
                    let id = format!("{}@{}", h.id, run.run_id);
                    rename.insert(h.id.clone(), id.clone());
                    handsets.push(HandsetInfo { id, ..h.clone() });
                }
                None => handsets.push(h.clone()),
            }
        }
        renames.push(rename);
    }
    let kinds: BTreeSet<&str> = runs.iter().map(|r| r.lab.kind.as_str()).collect();
    let sources: BTreeSet<&str> = runs
        .iter()
        .filter_map(|r| r.lab.source.as_deref())
        .collect();
    let lab = LabInfo {
        kind: if kinds.len() == 1 {
            runs[0].lab.kind.clone()
        } else {
            kinds.into_iter().collect::<Vec<_>>().join("+")
        },
        source: (!sources.is_empty()).then(|| sources.into_iter().collect::<Vec<_>>().join(", ")),
        handsets,
    };
    (lab, renames)
}

fn same_phone(a: &HandsetInfo, b: &HandsetInfo) -> bool {
    a.serial == b.serial && a.model == b.model && a.number == b.number
}

fn with_renamed_parties(case: &CaseReport, rename: &BTreeMap<String, String>) -> CaseReport {
    let mut case = case.clone();
    for party in &mut case.parties {
        if let Some(id) = rename.get(&party.handset) {
            party.handset = id.clone();
        }
    }
    case
}

/// A case of the plan that no merged run executed.
fn not_run(id: &str) -> CaseReport {
    let (scenario, iteration) = id.rsplit_once('#').unwrap_or((id, "1"));
    let scenario = scenario.split('[').next().unwrap_or(scenario);
    CaseReport {
        id: id.to_string(),
        suite: String::new(),
        scenario: scenario.to_string(),
        scenario_file: String::new(),
        iteration: iteration.parse().unwrap_or(1),
        iterations: iteration.parse().unwrap_or(1),
        matrix: Vec::new(),
        network: None,
        verdict: Verdict::Skipped {
            reason: "not in any of the merged runs (a shard is missing)".into(),
        },
        started_at: String::new(),
        duration_s: 0.0,
        parties: Vec::new(),
        steps: Vec::new(),
        events: Vec::new(),
        measurements: Vec::new(),
        tracks: Vec::new(),
        checks: Vec::new(),
        attachments: Vec::new(),
        timing: Timing {
            audio_s: 0.0,
            waits_s: 0.0,
            overhead_s: 0.0,
        },
    }
}

/// The earliest start of the runs and the wall time to the latest end.
fn span(runs: &[RunReport]) -> (String, f64) {
    let parsed: Vec<(chrono::DateTime<chrono::FixedOffset>, f64)> = runs
        .iter()
        .filter_map(|r| {
            let start = chrono::DateTime::parse_from_rfc3339(&r.started_at).ok()?;
            Some((start, r.duration_s))
        })
        .collect();
    let Some(start) = parsed.iter().map(|(s, _)| *s).min() else {
        return (runs[0].started_at.clone(), f64::NAN);
    };
    let end = parsed
        .iter()
        .map(|(s, d)| (*s - start).as_seconds_f64() + d)
        .fold(0.0, f64::max);
    let start_text = runs
        .iter()
        .find(|r| chrono::DateTime::parse_from_rfc3339(&r.started_at).ok() == Some(start))
        .map_or_else(|| runs[0].started_at.clone(), |r| r.started_at.clone());
    (start_text, end)
}
