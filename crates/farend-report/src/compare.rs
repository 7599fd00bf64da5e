//! Comparing two runs: what changed between a baseline and a new run (KPIs, speech quality
//! and delay per scenario and direction, cases that newly fail) and whether the change
//! stays within the user's thresholds.
//!
//! Used by `farend compare BASELINE NEW`: a release gate that fails when the new network
//! build makes calls worse than the baseline did.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kpi::{Kpis, counts_for_kpis};
use crate::model::{CaseReport, RunReport};

/// How much worse the new run may be before the comparison fails.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Thresholds {
    /// Largest allowed drop of a mean MOS-LQO (the run's, and each scenario direction's).
    pub max_mos_drop: f64,
    /// Largest allowed increase of the call setup failure ratio (0.05 = 5 points).
    pub max_setup_failure_increase: f64,
    /// Largest allowed increase of the cut-off call ratio.
    pub max_cut_off_increase: f64,
    /// Largest allowed increase of a median mouth-to-ear delay, in ms; `None`: not gated.
    pub max_delay_increase_ms: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_mos_drop: 0.2,
            max_setup_failure_increase: 0.05,
            max_cut_off_increase: 0.05,
            max_delay_increase_ms: None,
        }
    }
}

/// A figure of both runs and its change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The baseline's value; `None` when it had no sample.
    pub baseline: Option<f64>,
    /// The new run's value; `None` when it had no sample.
    pub new: Option<f64>,
    /// `new - baseline`, when both exist.
    pub delta: Option<f64>,
}

impl Change {
    fn of(baseline: Option<f64>, new: Option<f64>) -> Change {
        let delta = baseline.zip(new).map(|(b, n)| n - b);
        Change {
            baseline,
            new,
            delta,
        }
    }
}

/// Speech quality and delay of one scenario's direction in both runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DirectionChange {
    /// Scenario variant (`speech[ref=speech/en-f1]`).
    pub scenario: String,
    /// Audio direction as `from->to` roles.
    pub direction: String,
    /// Mean MOS-LQO.
    pub mos_lqo: Change,
    /// Median mouth-to-ear delay, in ms.
    pub delay_ms: Change,
}

/// A case that passed in the baseline (or was absent) and fails in the new run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewFailure {
    /// The case id, as in both runs.
    pub case: String,
    /// The new run's verdict, as text.
    pub verdict: String,
}

/// One threshold the new run went past.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Breach {
    /// What went past its threshold (`mos_lqo`, `speech a->b mos_lqo`, ...).
    pub what: String,
    /// The change, in the figure's unit.
    pub delta: f64,
    /// The threshold it went past.
    pub threshold: f64,
}

/// Everything `farend compare` reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Run id of the baseline.
    pub baseline_run: String,
    /// Run id of the new run.
    pub new_run: String,
    /// The thresholds applied.
    pub thresholds: Thresholds,
    /// Run-level KPI changes: `setup_failure_ratio`, `setup_time_ms_p50`,
    /// `cut_off_call_ratio`, `mos_lqo_mean`, `mos_lqo_p10`, `delay_ms_p50`.
    pub kpis: BTreeMap<String, Change>,
    /// Per scenario variant and direction, sorted.
    pub directions: Vec<DirectionChange>,
    /// Cases failing in the new run that did not fail in the baseline.
    pub new_failures: Vec<NewFailure>,
    /// Thresholds the new run went past; empty when it is within all of them.
    pub breaches: Vec<Breach>,
}

impl Comparison {
    /// Compares `new` against `baseline` under the thresholds.
    pub fn of(baseline: &RunReport, new: &RunReport, thresholds: Thresholds) -> Comparison {
        let (b, n) = (Kpis::of(&baseline.cases), Kpis::of(&new.cases));
        let kpis = BTreeMap::from([
            (
                "setup_failure_ratio".to_string(),
                Change::of(b.setup_failure_ratio.value, n.setup_failure_ratio.value),
            ),
            (
                "setup_time_ms_p50".to_string(),
                Change::of(b.setup_time_ms.p50, n.setup_time_ms.p50),
            ),
            (
                "cut_off_call_ratio".to_string(),
                Change::of(b.cut_off_call_ratio.value, n.cut_off_call_ratio.value),
            ),
            (
                "mos_lqo_mean".to_string(),
                Change::of(b.mos_lqo.distribution.mean, n.mos_lqo.distribution.mean),
            ),
            (
                "mos_lqo_p10".to_string(),
                Change::of(b.mos_lqo.distribution.p10, n.mos_lqo.distribution.p10),
            ),
            (
                "delay_ms_p50".to_string(),
                Change::of(b.delay_ms.p50, n.delay_ms.p50),
            ),
        ]);
        let directions = direction_changes(baseline, new);
        let new_failures = new_failures(baseline, new);
        let breaches = breaches(&kpis, &directions, &thresholds);
        Comparison {
            baseline_run: baseline.run_id.clone(),
            new_run: new.run_id.clone(),
            thresholds,
            kpis,
            directions,
            new_failures,
            breaches,
        }
    }

    /// True when the new run stays within every threshold.
    pub fn within_thresholds(&self) -> bool {
        self.breaches.is_empty()
    }
}

/// Per (scenario variant, direction): the MOS-LQO values and the delays of a run.
type DirectionSamples = BTreeMap<(String, String), (Vec<f64>, Vec<f64>)>;

fn direction_samples(run: &RunReport) -> DirectionSamples {
    let mut out = DirectionSamples::new();
    for case in run.cases.iter().filter(|c| counts_for_kpis(c)) {
        for m in &case.measurements {
            let Some(direction) = &m.direction else {
                continue;
            };
            if !m.value.is_finite() || (m.name != "mos_lqo" && m.name != "delay_ms") {
                continue;
            }
            let entry = out.entry((case.variant(), direction.clone())).or_default();
            if m.name == "mos_lqo" {
                entry.0.push(m.value);
            } else {
                entry.1.push(m.value);
            }
        }
    }
    out
}

fn direction_changes(baseline: &RunReport, new: &RunReport) -> Vec<DirectionChange> {
    let (b, n) = (direction_samples(baseline), direction_samples(new));
    let mut keys: Vec<&(String, String)> = b.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let empty = (Vec::new(), Vec::new());
    keys.into_iter()
        .map(|key| {
            let (bs, ns) = (b.get(key).unwrap_or(&empty), n.get(key).unwrap_or(&empty));
            DirectionChange {
                scenario: key.0.clone(),
                direction: key.1.clone(),
                mos_lqo: Change::of(mean(&bs.0), mean(&ns.0)),
                delay_ms: Change::of(median(&bs.1), median(&ns.1)),
            }
        })
        .collect()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn median(values: &[f64]) -> Option<f64> {
    crate::kpi::Distribution::of(values.to_vec()).p50
}

fn is_failing(case: &CaseReport) -> bool {
    !case.verdict.is_pass() && counts_for_kpis(case)
}

fn new_failures(baseline: &RunReport, new: &RunReport) -> Vec<NewFailure> {
    new.cases
        .iter()
        .filter(|c| is_failing(c))
        .filter(|c| !baseline.cases.iter().any(|b| b.id == c.id && is_failing(b)))
        .map(|c| NewFailure {
            case: c.id.clone(),
            verdict: c.verdict.to_string(),
        })
        .collect()
}

fn breaches(
    kpis: &BTreeMap<String, Change>,
    directions: &[DirectionChange],
    t: &Thresholds,
) -> Vec<Breach> {
    let mut out = Vec::new();
    let mut check = |what: String, delta: Option<f64>, threshold: f64| {
        if let Some(delta) = delta
            && delta > threshold + 1e-12
        {
            out.push(Breach {
                what,
                delta,
                threshold,
            });
        }
    };
    let delta = |key: &str| kpis.get(key).and_then(|c| c.delta);
    check(
        "setup_failure_ratio".into(),
        delta("setup_failure_ratio"),
        t.max_setup_failure_increase,
    );
    check(
        "cut_off_call_ratio".into(),
        delta("cut_off_call_ratio"),
        t.max_cut_off_increase,
    );
    check(
        "mos_lqo_mean drop".into(),
        delta("mos_lqo_mean").map(|d| -d),
        t.max_mos_drop,
    );
    for d in directions {
        check(
            format!("{} {} mos_lqo drop", d.scenario, d.direction),
            d.mos_lqo.delta.map(|d| -d),
            t.max_mos_drop,
        );
        if let Some(max) = t.max_delay_increase_ms {
            check(
                format!("{} {} delay_ms", d.scenario, d.direction),
                d.delay_ms.delta,
                max,
            );
        }
    }
    if let Some(max) = t.max_delay_increase_ms {
        check("delay_ms_p50".into(), delta("delay_ms_p50"), max);
    }
    out
}
