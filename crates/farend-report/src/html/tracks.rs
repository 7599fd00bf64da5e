//! Plots of a case's tracks: per scored direction, the MOS-LQO of each stretch of the call
//! and the delay of each utterance over the time of the reference, on one time axis.

use std::fmt::Write as _;

use crate::model::{CaseReport, Track};
use crate::text::html_escape as esc;

const WIDTH: f64 = 640.0;
const PANEL: f64 = 90.0;
const LEFT: f64 = 44.0;
const GAP: f64 = 24.0;

/// Writes one plot per scored direction of the case; nothing when it has no track.
pub(super) fn tracks_block(out: &mut String, case: &CaseReport) {
    let mut plays: Vec<(usize, Option<&str>)> = case
        .tracks
        .iter()
        .map(|t| (t.step, t.direction.as_deref()))
        .collect();
    plays.dedup();
    if plays.is_empty() {
        return;
    }
    out.push_str("<h3>Quality over time</h3>\n");
    for (step, direction) in plays {
        let find = |name: &str| {
            case.tracks
                .iter()
                .find(|t| t.step == step && t.direction.as_deref() == direction && t.name == name)
        };
        let (Some(mos), delay) = (find("mos_lqo"), find("delay_ms")) else {
            continue;
        };
        let end_s = case
            .tracks
            .iter()
            .filter(|t| t.step == step && t.direction.as_deref() == direction)
            .flat_map(|t| t.points.iter().map(|p| p[1]))
            .fold(0.0, f64::max);
        if end_s <= 0.0 {
            continue;
        }
        let _ = writeln!(
            out,
            "<p>step {step}{}</p>",
            direction
                .map(|d| format!(", {}", esc(d)))
                .unwrap_or_default()
        );
        plot(out, mos, delay, end_s);
    }
}

/// One SVG: the MOS-LQO panel above the delay panel, time in seconds of the reference below.
fn plot(out: &mut String, mos: &Track, delay: Option<&Track>, end_s: f64) {
    let height = 2.0 * PANEL + GAP + 24.0;
    let _ = writeln!(
        out,
        "<svg class=\"track\" role=\"img\" aria-label=\"MOS-LQO and delay over time\" \
         width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let x = |t: f64| LEFT + (WIDTH - LEFT - 8.0) * (t / end_s).clamp(0.0, 1.0);
    panel(out, mos, 0.0, (1.0, 5.0), "MOS", &x, "#0969da");
    if let Some(delay) = delay {
        let values = delay.points.iter().map(|p| p[2]).filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if lo.is_finite() {
            let pad = ((hi - lo) * 0.2).max(5.0);
            panel(
                out,
                delay,
                PANEL + GAP,
                (lo - pad, hi + pad),
                "ms",
                &x,
                "#8250df",
            );
        }
    }
    let axis_y = 2.0 * PANEL + GAP + 14.0;
    let step = nice_step(end_s);
    let mut t = 0.0;
    while t <= end_s + 1e-9 {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{axis_y:.1}\" text-anchor=\"middle\">{t:.0} s</text>",
            x(t)
        );
        t += step;
    }
    out.push_str("</svg>\n");
}

/// One panel: a frame, the value range on the left, each point as a horizontal segment.
fn panel(
    out: &mut String,
    track: &Track,
    top: f64,
    (lo, hi): (f64, f64),
    unit: &str,
    x: &dyn Fn(f64) -> f64,
    colour: &str,
) {
    let y = |v: f64| top + PANEL - PANEL * ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let _ = writeln!(
        out,
        "<rect x=\"{LEFT}\" y=\"{top}\" width=\"{:.1}\" height=\"{PANEL}\" fill=\"none\" \
         stroke=\"#d0d7de\"/>\n<text x=\"2\" y=\"{:.1}\">{hi:.0} {unit}</text>\n\
         <text x=\"2\" y=\"{:.1}\">{lo:.0} {unit}</text>",
        WIDTH - LEFT - 8.0,
        top + 10.0,
        top + PANEL
    );
    for p in track.points.iter().filter(|p| p[2].is_finite()) {
        let _ = writeln!(
            out,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" \
             stroke-width=\"3\"><title>{:.2}–{:.2} s: {:.2} {}</title></line>",
            x(p[0]),
            y(p[2]),
            x(p[1]),
            y(p[2]),
            p[0],
            p[1],
            p[2],
            esc(unit)
        );
    }
}

/// A tick spacing giving about five to ten ticks over `span` seconds.
fn nice_step(span: f64) -> f64 {
    [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0]
        .into_iter()
        .find(|s| span / s <= 10.0)
        .unwrap_or(600.0)
}
