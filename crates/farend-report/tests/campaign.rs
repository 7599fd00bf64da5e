//! Campaign KPIs on a hand-checked run: known setup failures, a dropped call, scores and
//! delays, split by handset model, network profile and scenario; the comparison of two runs
//! built from it; and the merging of its shards.

use farend_report::{Comparison, Kpis, KpisBy, MergeError, RunReport, Thresholds, Verdict};
use serde_json::{Value, json};

fn step(index: usize, keyword: &str, outcome: &str) -> Value {
    json!({ "index": index, "keyword": keyword, "description": keyword, "started_ms": 0.0,
            "duration_ms": 1.0, "outcome": outcome, "message": null })
}

fn measurement(name: &str, value: f64) -> Value {
    json!({ "step": 2, "name": name, "value": value, "unit": "", "direction": "a->b" })
}

fn event(at_ms: f64, party: &str, event: &str) -> Value {
    json!({ "at_ms": at_ms, "party": party, "event": event })
}

fn failure(kind: &str) -> Value {
    json!({ "status": "failure", "kind": kind, "message": kind,
            "failures": [ { "step": 1, "kind": kind, "message": kind } ] })
}

fn case(
    scenario: &str,
    network: &str,
    handsets: [&str; 2],
    verdict: Value,
    dial_outcome: &str,
    events: Vec<Value>,
    measurements: Vec<Value>,
) -> Value {
    json!({
        "id": format!("{scenario}#1"), "suite": "s", "scenario": scenario, "scenario_file": "x.yaml",
        "iteration": 1, "iterations": 1, "network": network, "verdict": verdict,
        "started_at": "2026-12-04T00:00:00Z", "duration_s": 1.0,
        "parties": [ { "role": "a", "handset": handsets[0], "number": "1" },
                     { "role": "b", "handset": handsets[1], "number": "2" } ],
        "steps": [ step(1, "dial", dial_outcome), step(2, "play", "ok") ],
        "events": events, "measurements": measurements, "checks": [], "attachments": [],
        "timing": { "audio_s": 0.0, "waits_s": 0.0, "overhead_s": 0.0 }
    })
}

/// Five cases: two clean calls, a setup failure, a dropped call and a lab fault.
fn run() -> RunReport {
    let handset = |id: &str, model: &str| {
        json!({ "id": id, "serial": id, "model": model,
        "manufacturer": null, "android_release": null, "number": "1" })
    };
    let rang = |at: f64| {
        vec![
            event(100.0, "a", "dial *********0002"),
            event(at, "b", "ringing reached (waited 24 ms)"),
        ]
    };
    let run = json!({
        "run_id": "r", "farend_version": "0", "started_at": "2026-12-04T00:00:00Z", "duration_s": 1.0,
        "lab": { "kind": "virtual", "source": null,
                 "handsets": [ handset("h1", "Pixel 7"), handset("h2", "SM-S911B"), handset("h3", "Pixel 7") ] },
        "redacted": true,
        "cases": [
            case("speech", "clean", ["h1", "h2"], json!({ "status": "pass" }), "ok", rang(350.0),
                 vec![measurement("mos_lqo", 4.6), measurement("mos_lqo", 4.2), measurement("delay_ms", 80.0)]),
            case("speech", "lossy", ["h3", "h2"], json!({ "status": "pass" }), "ok", rang(550.0),
                 vec![measurement("mos_lqo", 3.7), measurement("delay_ms", 120.0)]),
            case("setup", "lossy", ["h1", "h2"], failure("CallSetupFailure"), "failed",
                 vec![event(100.0, "a", "dial *********0002")], vec![]),
            case("drop", "lossy", ["h1", "h3"], failure("DroppedCall"), "ok", rang(400.0),
                 vec![measurement("mos_lqo", 2.0), measurement("delay_ms", f64::NAN)]),
            case("speech", "clean", ["h1", "h2"],
                 json!({ "status": "error", "kind": "DeviceOffline", "message": "gone", "device": "h1" }),
                 "ok", rang(300.0), vec![measurement("mos_lqo", 1.0)]),
        ]
    });
    serde_json::from_value(run).expect("a valid run")
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn run_kpis_count_attempts_drops_scores_and_leave_lab_faults_out() {
    let report = run();
    let k = Kpis::of(&report.cases);
    // Four attempts (the lab fault is no statement about the network), one failed.
    assert_eq!(
        (k.setup_failure_ratio.n, k.setup_failure_ratio.count),
        (4, 1)
    );
    assert!(close(k.setup_failure_ratio.value, 0.25));
    let [lo, hi] = k.setup_failure_ratio.ci95.expect("ci");
    assert!(lo > 0.0 && lo < 0.25 && hi > 0.25 && hi < 1.0, "{lo} {hi}");
    // Three established calls, one dropped.
    assert_eq!((k.cut_off_call_ratio.n, k.cut_off_call_ratio.count), (3, 1));
    // Setup times: 250, 450 and 300 ms (dial at 100 ms, ringing at 350, 550, 400).
    assert_eq!(k.setup_time_ms.n, 3);
    assert!(close(k.setup_time_ms.mean, 1000.0 / 3.0));
    assert!(close(k.setup_time_ms.p50, 300.0));
    // Scores on sample basis: 4.6, 4.2, 3.7, 2.0; on call basis: 4.4, 3.7, 2.0.
    assert_eq!(k.mos_lqo.distribution.n, 4);
    assert!(close(k.mos_lqo.distribution.mean, 3.625));
    assert_eq!(k.mos_lqo.categories.get("excellent"), Some(&0.25));
    assert_eq!(k.mos_lqo.categories.get("fair"), Some(&0.25));
    assert_eq!(k.mos_lqo_per_call.distribution.n, 3);
    assert!(close(k.mos_lqo_per_call.distribution.p50, 3.7));
    // Delays: the NaN is not a sample.
    assert_eq!(k.delay_ms.n, 2);
    assert!(close(k.delay_ms.mean, 100.0));
}

/// A passing case with the given call events (handsets h1 and h2, network `clean`).
fn passing_case(scenario: &str, events: Vec<Value>) -> farend_report::CaseReport {
    serde_json::from_value(case(
        scenario,
        "clean",
        ["h1", "h2"],
        json!({ "status": "pass" }),
        "ok",
        events,
        vec![],
    ))
    .expect("a valid case")
}

#[test]
fn a_call_the_network_ended_is_cut_off_even_when_the_scenario_expected_it() {
    let dialled = |mut rest: Vec<Value>| {
        let mut events = vec![event(100.0, "a", "dial *********0002")];
        events.append(&mut rest);
        events
    };
    // The network drops the call; the scenario waited for idle and passed.
    let expected_drop = passing_case(
        "drop",
        dialled(vec![
            event(150.0, "a", "call alerting"),
            event(300.0, "a", "active reached (waited 20 ms)"),
            event(6300.0, "a", "state offhook->idle"),
            event(
                6300.0,
                "a",
                "call disconnected, cause 31 (normal, unspecified)",
            ),
            event(6350.0, "b", "idle reached (waited 6000 ms)"),
        ]),
    );
    // The callee hangs up: the call ends as the scenario asked.
    let hung_up = passing_case(
        "hangup",
        dialled(vec![
            event(180.0, "b", "state idle->ringing"),
            event(400.0, "b", "state ringing->offhook"),
            event(5000.0, "b", "hang up"),
            event(5100.0, "a", "state offhook->idle"),
        ]),
    );
    // A call that never came up and ended is no cut-off.
    let never_up = passing_case(
        "busy",
        dialled(vec![event(900.0, "a", "idle reached (waited 800 ms)")]),
    );
    let cases = [expected_drop, hung_up, never_up];
    let k = Kpis::of(&cases);
    assert_eq!((k.cut_off_call_ratio.n, k.cut_off_call_ratio.count), (3, 1));
    // The caller's own `call alerting` (the monitor's precise state) ends the setup time.
    assert_eq!(k.setup_time_ms.n, 2);
    assert!(close(k.setup_time_ms.p10, 50.0 + 0.1 * 30.0));
}

#[test]
fn kpis_split_by_model_network_and_scenario() {
    let by = KpisBy::of(&run());
    assert_eq!(
        by.scenario.keys().collect::<Vec<_>>(),
        ["drop", "setup", "speech"]
    );
    assert_eq!(by.scenario["speech"].setup_failure_ratio.n, 2);
    assert!(close(by.scenario["setup"].setup_failure_ratio.value, 1.0));
    assert_eq!(by.network["lossy"].setup_failure_ratio.n, 3);
    assert_eq!(by.network["clean"].mos_lqo.distribution.n, 2);
    // A case counts for each model among its parties: Pixel 7 is in all four attempts.
    assert_eq!(by.handset_model["Pixel 7"].setup_failure_ratio.n, 4);
    assert_eq!(by.handset_model["SM-S911B"].setup_failure_ratio.n, 3);
}

#[test]
fn results_json_carries_the_kpis_beside_the_cases() {
    let report = run();
    let json: Value =
        serde_json::from_str(&farend_report::results_json(&report).expect("json")).expect("parse");
    assert_eq!(json["kpis"]["setup_failure_ratio"]["n"], 4);
    assert_eq!(json["kpis"]["mos_lqo"]["n"], 4);
    assert!(json["kpis"]["mos_lqo"]["p90"].is_number());
    assert_eq!(
        json["kpis_by"]["network"]["lossy"]["cut_off_call_ratio"]["count"],
        1
    );
    // And the file still reads back as the run (compared as text: a NaN delay is in it).
    let back: RunReport = serde_json::from_value(json).expect("read back");
    assert_eq!(
        farend_report::results_json(&back).expect("json"),
        farend_report::results_json(&report).expect("json")
    );
}

#[test]
fn html_report_shows_the_kpi_tables_and_the_mos_histogram() {
    let page = farend_report::html(&run());
    assert!(page.contains("<h2>Campaign KPIs</h2>"), "no KPI section");
    // Setup failure ratio of the run: 1 of 4.
    assert!(page.contains(
        "<td>Call setup failure ratio</td><td class=\"num\">4</td><td class=\"num\">25.0 %</td>"
    ));
    for group in [
        "Per handset model",
        "Per network profile",
        "Per scenario",
        "SM-S911B",
        "lossy",
    ] {
        assert!(page.contains(group), "{group} missing");
    }
    // Four finite scores: the histogram's bars hold four samples in all.
    let svg_start = page
        .find("<svg class=\"mos-histogram\"")
        .expect("histogram");
    let svg = &page[svg_start..svg_start + page[svg_start..].find("</svg>").expect("end")];
    let total: usize = svg
        .split("<title>")
        .skip(1)
        .filter_map(|t| {
            t.split(": ")
                .nth(1)?
                .split('<')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert_eq!(total, 4);
}

#[test]
fn a_run_compared_with_itself_is_within_thresholds() {
    let c = Comparison::of(&run(), &run(), Thresholds::default());
    assert!(c.within_thresholds(), "{:?}", c.breaches);
    assert!(c.new_failures.is_empty());
    assert_eq!(c.kpis["mos_lqo_mean"].delta, Some(0.0));
}

#[test]
fn comparison_names_the_mos_drop_and_the_new_failure() {
    let baseline = run();
    let mut new = run();
    // The second speech case loses 0.3 MOS and now fails its setup.
    new.cases[1].measurements[0].value -= 0.3;
    new.cases[1].verdict = Verdict::from_failures(vec![farend_report::FailureDetail {
        step: 1,
        kind: farend_report::FailureKind::CallSetupFailure,
        message: "rejected".into(),
    }])
    .expect("a failure");
    let c = Comparison::of(&baseline, &new, Thresholds::default());
    assert_eq!(c.new_failures.len(), 1);
    assert_eq!(c.new_failures[0].case, "speech#1");
    let what: Vec<&str> = c.breaches.iter().map(|b| b.what.as_str()).collect();
    // Setup failures 1 of 4 -> 2 of 4: +25 points; the same drop stays among fewer
    // established calls: 1 of 3 -> 1 of 2. The speech a->b mean drops by 0.1
    // (4.6, 4.2, 3.7 -> 4.6, 4.2, 3.4), within the default 0.2.
    assert_eq!(
        what,
        ["setup_failure_ratio", "cut_off_call_ratio"],
        "{:?}",
        c.breaches
    );
    let loose = Thresholds {
        max_setup_failure_increase: 0.3,
        max_mos_drop: 0.05,
        ..Thresholds::default()
    };
    let c = Comparison::of(&baseline, &new, loose);
    let what: Vec<&str> = c.breaches.iter().map(|b| b.what.as_str()).collect();
    assert!(what.contains(&"mos_lqo_mean drop"), "{what:?}");
    assert!(what.contains(&"speech a->b mos_lqo drop"), "{what:?}");
}

/// The run cut in two shards as `farend run --shard` would: every other case, each shard
/// recording the whole plan.
fn shards() -> [RunReport; 2] {
    let mut whole = run();
    for (i, case) in whole.cases.iter_mut().enumerate() {
        case.id = format!("{}#{}", case.scenario, i + 1);
    }
    let ids: Vec<String> = whole.cases.iter().map(|c| c.id.clone()).collect();
    [1, 2].map(|k| {
        let mut shard = whole.clone();
        shard.run_id = format!("shard{k}");
        shard.cases = whole.cases.iter().skip(k - 1).step_by(2).cloned().collect();
        shard.plan = farend_report::PlanInfo {
            case_ids: ids.clone(),
            shard: Some([k as u32, 2]),
        };
        shard
    })
}

#[test]
fn shards_merge_back_into_the_whole_plan_in_order() {
    let [one, two] = shards();
    let merged = farend_report::merge(&[two.clone(), one.clone()], "merged").expect("merge");
    assert!(merged.missing.is_empty());
    let ids: Vec<&str> = merged.report.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["speech#1", "speech#2", "setup#3", "drop#4", "speech#5"]
    );
    assert_eq!(merged.report.plan.shard, None);
    let k = Kpis::of(&merged.report.cases);
    assert_eq!(k.setup_failure_ratio.n, 4);
}

#[test]
fn a_missing_shard_leaves_its_cases_skipped_and_named() {
    let [one, _] = shards();
    let merged = farend_report::merge(&[one], "merged").expect("merge");
    assert_eq!(merged.missing, ["speech#2", "drop#4"]);
    let skipped = merged
        .report
        .cases
        .iter()
        .filter(|c| c.verdict.status() == "skipped");
    assert_eq!(skipped.count(), 2);
}

#[test]
fn runs_of_other_plans_or_the_same_shard_twice_are_refused() {
    let [one, two] = shards();
    let err = farend_report::merge(&[one.clone(), one.clone()], "m").expect_err("overlap");
    assert!(matches!(err, MergeError::Overlap { .. }), "{err}");
    let mut other = two;
    other.plan.case_ids[2] = "another#3".into();
    let err = farend_report::merge(&[one.clone(), other], "m").expect_err("plans");
    assert!(
        err.to_string().contains("different plans") && err.to_string().contains("another#3"),
        "{err}"
    );
    let mut old = one.clone();
    old.plan = Default::default();
    assert!(matches!(
        farend_report::merge(&[old], "m"),
        Err(MergeError::NoPlan { .. })
    ));
}

#[test]
fn different_phones_with_one_lab_id_stay_apart() {
    let [one, mut two] = shards();
    // The second host's lab has another phone under the id h2.
    two.lab.handsets[1].serial = "other-host:5555".into();
    two.lab.handsets[1].model = Some("moto g84 5G".into());
    let merged = farend_report::merge(&[one, two], "m").expect("merge");
    let ids: Vec<&str> = merged
        .report
        .lab
        .handsets
        .iter()
        .map(|h| h.id.as_str())
        .collect();
    assert_eq!(ids, ["h1", "h2", "h3", "h2@shard2"]);
    // Case 2 (shard 2) used h2: it now names the renamed handset, and its model counts.
    assert_eq!(merged.report.cases[1].parties[1].handset, "h2@shard2");
    let by = KpisBy::of(&merged.report);
    assert!(by.handset_model.contains_key("moto g84 5G"));
}
