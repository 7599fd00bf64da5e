//! Writes a sample report (two scenarios, every verdict kind) into the folder given as the
//! first argument, to look at the JUnit, JSON and HTML output:
//! `cargo run -p farend-report --example sample_report -- /tmp/farend-sample`.

use farend_report::{
    Attachment, CallEvent, CaseReport, Check, ErrorKind, FailureDetail, FailureKind, HandsetInfo,
    LabInfo, Measurement, PartyBinding, RunReport, StepOutcome, StepReport, Timing, Verdict,
    redact_number, write_all,
};

fn step(index: usize, keyword: &str, description: &str, start: f64, dur: f64) -> StepReport {
    StepReport {
        index,
        name: None,
        keyword: keyword.into(),
        description: description.into(),
        started_ms: start,
        duration_ms: dur,
        outcome: StepOutcome::Ok,
        message: None,
    }
}

fn case(scenario: &str, iteration: u32, verdict: Verdict, mos: f64) -> CaseReport {
    let dir = format!("cases/{scenario}.{iteration}");
    let mut steps = vec![
        step(1, "dial", "a dials b", 0.0, 180.0),
        step(2, "wait", "b ringing within 20s", 180.0, 1450.0),
        step(3, "answer", "b answers", 1630.0, 120.0),
        step(4, "wait", "a, b offhook within 10s", 1750.0, 300.0),
        StepReport {
            name: Some("speech a to b".into()),
            ..step(5, "play", "speech/en-f1 into a, record b", 2050.0, 8200.0)
        },
        step(6, "hangup", "a hangs up", 10250.0, 150.0),
    ];
    if !verdict.is_pass() {
        steps[4].outcome = match verdict {
            Verdict::Failure { .. } => StepOutcome::Failed,
            Verdict::Error { .. } => StepOutcome::Error,
            _ => StepOutcome::Skipped,
        };
        steps[4].message = Some(verdict.to_string());
        steps[5].outcome = StepOutcome::Skipped;
    }
    CaseReport {
        id: format!("demo/{scenario}#{iteration}"),
        suite: "demo".into(),
        scenario: scenario.into(),
        scenario_file: format!("scenarios/{scenario}.yaml"),
        iteration,
        iterations: 2,
        matrix: Vec::new(),
        network: None,
        verdict,
        started_at: "2026-11-21T05:31:18.000Z".into(),
        duration_s: 10.6,
        parties: vec![
            PartyBinding {
                role: "a".into(),
                handset: "virtual-a".into(),
                number: redact_number("+421900000001"),
            },
            PartyBinding {
                role: "b".into(),
                handset: "virtual-b".into(),
                number: redact_number("+421900000002"),
            },
        ],
        steps,
        events: vec![
            CallEvent {
                at_ms: 20.0,
                party: "a".into(),
                event: format!("dial {}", redact_number("+421900000002")),
                source: farend_report::EventSource::Step,
            },
            CallEvent {
                at_ms: 25.0,
                party: "a".into(),
                event: "state idle->offhook".into(),
                source: farend_report::EventSource::Step,
            },
            CallEvent {
                at_ms: 610.0,
                party: "b".into(),
                event: "state idle->ringing".into(),
                source: farend_report::EventSource::Step,
            },
            CallEvent {
                at_ms: 1700.0,
                party: "b".into(),
                event: "state ringing->offhook".into(),
                source: farend_report::EventSource::Step,
            },
            CallEvent {
                at_ms: 10300.0,
                party: "a".into(),
                event: "state offhook->idle".into(),
                source: farend_report::EventSource::Step,
            },
            CallEvent {
                at_ms: 10320.0,
                party: "b".into(),
                event: "state offhook->idle".into(),
                source: farend_report::EventSource::Step,
            },
        ],
        measurements: vec![
            Measurement {
                step: 5,
                name: "delay_ms".into(),
                value: 120.0,
                unit: "ms".into(),
                direction: Some("a->b".into()),
                band: None,
                standard: None,
            },
            Measurement {
                step: 5,
                name: "mos_lqo".into(),
                value: mos,
                unit: "MOS".into(),
                direction: Some("a->b".into()),
                band: Some("nb".into()),
                standard: Some("ITU-T P.862 + P.862.1".into()),
            },
            Measurement {
                step: 5,
                name: "level_dbov".into(),
                value: -26.4,
                unit: "dBov".into(),
                direction: Some("a->b".into()),
                band: None,
                standard: None,
            },
        ],
        tracks: Vec::new(),
        checks: vec![
            Check {
                step: 5,
                name: "mos_lqo".into(),
                expected: ">= 3.5".into(),
                actual: format!("{mos}"),
                passed: mos >= 3.5,
            },
            Check {
                step: 5,
                name: "delay_ms".into(),
                expected: "<= 400 ms".into(),
                actual: "120".into(),
                passed: true,
            },
        ],
        attachments: vec![
            Attachment {
                kind: "reference".into(),
                path: format!("{dir}/a-mic.wav"),
                party: Some("a".into()),
                step: Some(5),
            },
            Attachment {
                kind: "recording".into(),
                path: format!("{dir}/b-ear.wav"),
                party: Some("b".into()),
                step: Some(5),
            },
            Attachment {
                kind: "logcat".into(),
                path: format!("{dir}/logcat-a.txt"),
                party: Some("a".into()),
                step: None,
            },
        ],
        timing: Timing {
            audio_s: 8.2,
            waits_s: 1.75,
            overhead_s: 0.65,
        },
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "farend-sample-report".into());
    let report = RunReport {
        run_id: "20261121-053117-demo".into(),
        farend_version: env!("CARGO_PKG_VERSION").into(),
        started_at: "2026-11-21T05:31:17.120Z".into(),
        duration_s: 43.7,
        lab: LabInfo {
            kind: "virtual".into(),
            source: Some("built-in virtual lab (G.711 A-law, 60 ms transport)".into()),
            handsets: ["virtual-a", "virtual-b"]
                .iter()
                .enumerate()
                .map(|(i, id)| HandsetInfo {
                    id: (*id).into(),
                    serial: format!("127.0.0.1:{}", 7001 + 2 * i),
                    model: Some("farend virtual handset".into()),
                    manufacturer: Some("farend".into()),
                    android_release: Some("14".into()),
                    number: redact_number(&format!("+42190000000{}", i + 1)),
                })
                .collect(),
        },
        redacted: true,
        plan: Default::default(),
        cases: vec![
            case("mo-call-speech", 1, Verdict::Pass, 4.21),
            case(
                "mo-call-speech",
                2,
                Verdict::from_failures(vec![FailureDetail {
                    step: 5,
                    kind: FailureKind::MosBelowThreshold,
                    message: "a->b: MOS-LQO 2.87 (Bad) below 3.5".into(),
                }])
                .expect("one failure"),
                2.87,
            ),
            case(
                "dtmf",
                1,
                Verdict::Error {
                    kind: ErrorKind::DeviceOffline,
                    message: "adb: device '127.0.0.1:7003' not found".into(),
                    device: Some("virtual-b".into()),
                },
                4.0,
            ),
            case(
                "dtmf",
                2,
                Verdict::Skipped {
                    reason: "run interrupted".into(),
                },
                4.0,
            ),
        ],
    };
    let files = write_all(&report, std::path::Path::new(&dir))?;
    println!(
        "{}\n{}\n{}",
        files.junit.display(),
        files.json.display(),
        files.html.display()
    );
    Ok(())
}
