//! Campaign KPIs of a run after ETSI TS 102 250-2 (telephony): call setup failure ratio,
//! setup time, cut-off call ratio, speech quality on sample and call basis, mouth-to-ear
//! delay, each with the number of samples behind it and a 95 % confidence interval.
//!
//! Counting rules (what farend's reports can tell):
//! - A **call attempt** is a `dial` step that ran in a case whose verdict is a pass or a
//!   failure. Lab faults (`error`) and skipped cases say nothing about the network and are
//!   left out.
//! - An attempt is **unsuccessful** (service non-accessibility) for each failure of kind
//!   `CallSetupFailure`, `NoRinging` or `NotAnswered` in the case, at most one per attempt.
//! - A **setup time** runs from the caller's `dial` event to the first event after it that
//!   shows the far end alerting (another party ringing, or the caller's `alerting`), for
//!   attempts that did not fail.
//! - A **cut-off call** is a `DroppedCall` failure of an established (successful) attempt.
//! - **Speech quality on sample basis** uses every `mos_lqo` measurement; **on call basis**
//!   the mean of each case's `mos_lqo` measurements.
//! - **Delay** uses every `delay_ms` measurement.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{CaseReport, FailureKind, RunReport, StepOutcome, Verdict};

/// The KPIs of a set of cases.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    /// Unsuccessful call attempts over all call attempts (service non-accessibility).
    pub setup_failure_ratio: Ratio,
    /// Time from dialling to the callee alerting, in milliseconds.
    pub setup_time_ms: Distribution,
    /// Established calls that dropped, over all established calls.
    pub cut_off_call_ratio: Ratio,
    /// Speech quality on sample basis: every MOS-LQO score.
    pub mos_lqo: Quality,
    /// Speech quality on call basis: one mean MOS-LQO per case.
    pub mos_lqo_per_call: Quality,
    /// Mouth-to-ear delay of every measured direction, in milliseconds.
    pub delay_ms: Distribution,
}

/// A ratio KPI: how many of `n` samples were counted, with a Wilson score interval.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// Number of samples (attempts, calls) behind the ratio.
    pub n: usize,
    /// Samples counted (failed attempts, dropped calls).
    pub count: usize,
    /// `count / n`; `null` without samples.
    pub value: Option<f64>,
    /// 95 % Wilson score interval of the ratio; `null` without samples.
    pub ci95: Option<[f64; 2]>,
}

/// A distribution KPI: mean, percentiles and the 95 % confidence interval of the mean.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Number of samples.
    pub n: usize,
    /// Arithmetic mean; `null` without samples.
    pub mean: Option<f64>,
    /// 10th percentile (linear interpolation between order statistics).
    pub p10: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95 % Student-t interval of the mean; `null` below two samples.
    pub ci95: Option<[f64; 2]>,
}

/// Speech quality: the MOS-LQO distribution and the share of each quality category.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// The MOS-LQO values' distribution.
    #[serde(flatten)]
    pub distribution: Distribution,
    /// Share of the samples per category (`excellent`, `good`, `fair`, `poor`, `bad`),
    /// after [`farend_quality::category`]; empty without samples.
    pub categories: BTreeMap<String, f64>,
}

/// KPIs of subsets of a run: by handset model, network profile and scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KpisBy {
    /// Per handset model: every case with a party on a handset of that model.
    pub handset_model: BTreeMap<String, Kpis>,
    /// Per network profile of the virtual network (cases that name one).
    pub network: BTreeMap<String, Kpis>,
    /// Per scenario name.
    pub scenario: BTreeMap<String, Kpis>,
}

impl Kpis {
    /// The KPIs of the given cases.
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a CaseReport>) -> Kpis {
        let mut samples = Samples::default();
        for case in cases {
            samples.add(case);
        }
        samples.into_kpis()
    }
}

impl KpisBy {
    /// Splits the run's cases by handset model, network profile and scenario.
    pub fn of(report: &RunReport) -> KpisBy {
        let mut by_model: BTreeMap<String, Vec<&CaseReport>> = BTreeMap::new();
        let mut by_network: BTreeMap<String, Vec<&CaseReport>> = BTreeMap::new();
        let mut by_scenario: BTreeMap<String, Vec<&CaseReport>> = BTreeMap::new();
        for case in &report.cases {
            let mut models: Vec<&str> = case
                .parties
                .iter()
                .filter_map(|p| report.handset(&p.handset)?.model.as_deref())
                .collect();
            models.sort_unstable();
            models.dedup();
            for model in models {
                by_model.entry(model.to_string()).or_default().push(case);
            }
            if let Some(network) = &case.network {
                by_network.entry(network.clone()).or_default().push(case);
            }
            by_scenario
                .entry(case.scenario.clone())
                .or_default()
                .push(case);
        }
        let kpis = |groups: BTreeMap<String, Vec<&CaseReport>>| {
            groups
                .into_iter()
                .map(|(name, cases)| (name, Kpis::of(cases)))
                .collect()
        };
        KpisBy {
            handset_model: kpis(by_model),
            network: kpis(by_network),
            scenario: kpis(by_scenario),
        }
    }
}

/// The raw samples of the KPIs, gathered case by case.
#[derive(Default)]
struct Samples {
    attempts: usize,
    setup_failures: usize,
    setup_times_ms: Vec<f64>,
    established: usize,
    dropped: usize,
    mos: Vec<f64>,
    mos_per_call: Vec<f64>,
    delays_ms: Vec<f64>,
}

const SETUP_FAILURES: [FailureKind; 3] = [
    FailureKind::CallSetupFailure,
    FailureKind::NoRinging,
    FailureKind::NotAnswered,
];

impl Samples {
    fn add(&mut self, case: &CaseReport) {
        if !counts_for_kpis(case) {
            return;
        }
        let failures = match &case.verdict {
            Verdict::Failure { failures, .. } => failures.as_slice(),
            _ => &[][..],
        };
        let attempts = case
            .steps
            .iter()
            .filter(|s| s.keyword == "dial" && s.outcome != StepOutcome::Skipped)
            .count();
        let count =
            |kinds: &[FailureKind]| failures.iter().filter(|f| kinds.contains(&f.kind)).count();
        let failed = count(&SETUP_FAILURES).min(attempts);
        self.attempts += attempts;
        self.setup_failures += failed;
        let established = attempts - failed;
        self.established += established;
        // A drop the scenario expected passes the case but is still a cut-off call.
        let cut_off = count(&[FailureKind::DroppedCall]).max(unrequested_ends(case));
        self.dropped += cut_off.min(established);
        if failed == 0 {
            self.setup_times_ms.extend(setup_times_ms(case));
        }
        let scores = finite_values(case, "mos_lqo");
        if !scores.is_empty() {
            self.mos_per_call
                .push(scores.iter().sum::<f64>() / scores.len() as f64);
        }
        self.mos.extend(scores);
        self.delays_ms.extend(finite_values(case, "delay_ms"));
    }

    fn into_kpis(self) -> Kpis {
        Kpis {
            setup_failure_ratio: Ratio::new(self.setup_failures, self.attempts),
            setup_time_ms: Distribution::of(self.setup_times_ms),
            cut_off_call_ratio: Ratio::new(self.dropped, self.established),
            mos_lqo: Quality::of(self.mos),
            mos_lqo_per_call: Quality::of(self.mos_per_call),
            delay_ms: Distribution::of(self.delays_ms),
        }
    }
}

/// True for the cases the KPIs count: passes and failures. Lab faults and skipped cases
/// say nothing about the network.
pub(crate) fn counts_for_kpis(case: &CaseReport) -> bool {
    matches!(case.verdict, Verdict::Pass | Verdict::Failure { .. })
}

/// Finite values of the case's measurements called `name`.
pub(crate) fn finite_values(case: &CaseReport, name: &str) -> Vec<f64> {
    case.measurements
        .iter()
        .filter(|m| m.name == name && m.value.is_finite())
        .map(|m| m.value)
        .collect()
}

/// Dial-to-alerting times of the case: each `dial` event paired with the first event after
/// it (and before the next `dial`) that shows the far end alerting: another party ringing,
/// or the caller's own `alerting`.
fn setup_times_ms(case: &CaseReport) -> Vec<f64> {
    let mut times = Vec::new();
    let mut dialled: Option<(&str, f64)> = None;
    for event in &case.events {
        if event.event.starts_with("dial") {
            dialled = Some((event.party.as_str(), event.at_ms));
        } else if let Some((caller, at_ms)) = dialled
            && ((event.party != caller && is_ringing(&event.event))
                || (event.party == caller && is_alerting(&event.event)))
        {
            times.push(event.at_ms - at_ms);
            dialled = None;
        }
    }
    times
}

/// Established calls of the case that ended before any party hung up: after a `dial`, a
/// sign that the call was up (`active` or `offhook` reached, the monitor's `call active` or
/// `ringing->offhook`) followed by a sign that it ended (`idle` reached, `->idle`, `call
/// disconnected`) with no `hang up` step in between. The network cut these calls off,
/// whether or not the scenario expected it.
fn unrequested_ends(case: &CaseReport) -> usize {
    let mut count = 0;
    // (up, hung up, counted) for the current attempt.
    let mut attempt: Option<(bool, bool, bool)> = None;
    for event in &case.events {
        let text = event.event.as_str();
        if text.starts_with("dial") {
            attempt = Some((false, false, false));
            continue;
        }
        let Some((up, hung, counted)) = attempt.as_mut() else {
            continue;
        };
        if text == "hang up" {
            *hung = true;
        } else if text.starts_with("active reached")
            || text.starts_with("offhook reached")
            || text == "call active"
            || text == "state ringing->offhook"
        {
            *up = true;
        } else if (text.starts_with("idle reached")
            || text.ends_with("->idle")
            || text.starts_with("call disconnected"))
            && *up
            && !*hung
            && !*counted
        {
            *counted = true;
            count += 1;
        }
    }
    count
}

/// True for the caller's events that say the far end is alerting (`alerting reached
/// (waited 30 ms)` from a step, `call alerting` from the monitor).
fn is_alerting(event: &str) -> bool {
    event.starts_with("alerting") || event == "call alerting"
}

/// True for the events that say a party started ringing (`ringing reached (waited 24 ms)`,
/// `state idle->ringing`).
fn is_ringing(event: &str) -> bool {
    event.starts_with("ringing") || event.ends_with("->ringing")
}

impl Ratio {
    /// `count` out of `n`, with its Wilson score interval.
    pub fn new(count: usize, n: usize) -> Ratio {
        if n == 0 {
            return Ratio::default();
        }
        let p = count as f64 / n as f64;
        Ratio {
            n,
            count,
            value: Some(p),
            ci95: Some(wilson_interval(count, n)),
        }
    }
}

/// Two-sided 95 % quantile of the standard normal distribution.
const Z95: f64 = 1.959964;

/// 95 % Wilson score interval of a binomial proportion (Wilson 1927); unlike the normal
/// approximation it stays inside [0, 1] and is meaningful at 0 of n.
fn wilson_interval(count: usize, n: usize) -> [f64; 2] {
    let n = n as f64;
    let p = count as f64 / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

impl Distribution {
    /// Mean, percentiles and confidence interval of the samples (NaN values excluded).
    pub fn of(mut values: Vec<f64>) -> Distribution {
        values.retain(|v| v.is_finite());
        values.sort_by(f64::total_cmp);
        let n = values.len();
        if n == 0 {
            return Distribution::default();
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let ci95 = (n >= 2).then(|| {
            let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let half = student_t95(n - 1) * (variance / n as f64).sqrt();
            [mean - half, mean + half]
        });
        Distribution {
            n,
            mean: Some(mean),
            p10: Some(percentile(&values, 0.10)),
            p50: Some(percentile(&values, 0.50)),
            p90: Some(percentile(&values, 0.90)),
            ci95,
        }
    }
}

/// The `q` quantile of sorted values, interpolating linearly between order statistics.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Two-sided 95 % quantile of Student's t distribution with `df` degrees of freedom
/// (published table values; the normal quantile beyond 120).
fn student_t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        31..=40 => 2.021,
        41..=60 => 2.000,
        61..=120 => 1.980,
        _ => Z95,
    }
}

impl Quality {
    /// The distribution of MOS-LQO values and the share of each category.
    pub fn of(values: Vec<f64>) -> Quality {
        let distribution = Distribution::of(values.clone());
        let mut categories = BTreeMap::new();
        let finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if !finite.is_empty() {
            for name in ["excellent", "good", "fair", "poor", "bad"] {
                categories.insert(name.to_string(), 0.0);
            }
            let share = 1.0 / finite.len() as f64;
            for v in finite {
                let name = format!("{:?}", farend_quality::category(v)).to_lowercase();
                *categories.entry(name).or_insert(0.0) += share;
            }
        }
        Quality {
            distribution,
            categories,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_hand_computed_values() {
        // 1 of 10: p = 0.1, Wilson 95 % = [0.0179, 0.4042] (hand computed from the formula).
        let [lo, hi] = wilson_interval(1, 10);
        assert!(
            (lo - 0.0179).abs() < 5e-4 && (hi - 0.4042).abs() < 5e-4,
            "{lo} {hi}"
        );
        // 0 of 20 still has a non-zero upper bound.
        let [lo, hi] = wilson_interval(0, 20);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.1611).abs() < 5e-4, "{hi}");
    }

    #[test]
    fn distribution_percentiles_and_mean_interval() {
        let d = Distribution::of(vec![5.0, 1.0, 4.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(d.n, 5);
        assert_eq!(d.mean, Some(3.0));
        assert_eq!(d.p50, Some(3.0));
        assert!((d.p10.unwrap_or_default() - 1.4).abs() < 1e-12);
        assert!((d.p90.unwrap_or_default() - 4.6).abs() < 1e-12);
        // s = sqrt(2.5), t(4) = 2.776: half width 2.776 * sqrt(2.5 / 5) = 1.9629.
        let [lo, hi] = d.ci95.expect("ci");
        assert!(
            (lo - 1.0371).abs() < 1e-3 && (hi - 4.9629).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(Distribution::of(vec![7.0]).ci95, None);
        assert_eq!(Distribution::of(vec![]), Distribution::default());
    }

    #[test]
    fn quality_categories_share_the_samples() {
        let q = Quality::of(vec![4.6, 4.2, 4.1, 2.0]);
        assert_eq!(q.categories.get("excellent"), Some(&0.25));
        assert_eq!(q.categories.get("good"), Some(&0.5));
        assert_eq!(q.categories.get("fair"), Some(&0.0));
        assert_eq!(q.categories.get("bad"), Some(&0.25));
    }
}
