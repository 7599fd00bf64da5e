//! The call-event timeline: one lane per party on one time axis (seconds from the case
//! start), a dot per event, filled for what the step engine saw and hollow for what the
//! call-state monitor saw when it polled.

use std::fmt::Write as _;

use super::{ms, truncate};
use crate::model::{CaseReport, EventSource};
use crate::text::html_escape as esc;

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 10.0;
/// Height of a party's lane: two rows of labels above its line.
const LANE: f64 = 44.0;
const AXIS: f64 = 22.0;
/// Smallest distance between two labels of one row, in SVG units.
const LABEL_SPACING: f64 = 130.0;
/// Characters of an event shown as its label (the table below has the whole text).
const LABEL_CHARS: usize = 22;

/// How the events table names an event's source.
pub(super) fn source_name(source: EventSource) -> &'static str {
    match source {
        EventSource::Step => "step",
        EventSource::Monitor => "monitor (polled)",
    }
}

/// Draws the timeline of the case's events over `span_ms`.
pub(super) fn timeline_svg(out: &mut String, case: &CaseReport, span_ms: f64) {
    let mut parties: Vec<&str> = Vec::new();
    for e in &case.events {
        if !parties.contains(&e.party.as_str()) {
            parties.push(&e.party);
        }
    }
    let height = LANE * parties.len() as f64 + AXIS + 8.0;
    let _ = writeln!(
        out,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" \
         aria-label=\"call events timeline\">"
    );
    let x_of = |at_ms: f64| {
        let frac = if span_ms > 0.0 && at_ms.is_finite() {
            (at_ms / span_ms).clamp(0.0, 1.0)
        } else {
            0.0
        };
        LEFT + frac * (WIDTH - LEFT - RIGHT)
    };
    for (i, p) in parties.iter().enumerate() {
        let y = lane_y(i);
        let _ = writeln!(
            out,
            "<text x=\"4\" y=\"{:.1}\">{}</text><line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" \
             y2=\"{y:.1}\" stroke=\"#d0d7de\"/>",
            y + 4.0,
            esc(&truncate(p, 8)),
            WIDTH - RIGHT
        );
    }
    axis(out, span_ms, LANE * parties.len() as f64 + 8.0, &x_of);
    // Labels go to the upper or lower row of their lane, whichever has room; a label with
    // no room is left out (its dot keeps the full text as a tooltip, the table lists all).
    let mut row_end = vec![[f64::NEG_INFINITY; 2]; parties.len().max(1)];
    for e in &case.events {
        let lane = parties.iter().position(|p| *p == e.party).unwrap_or(0);
        let (x, y) = (x_of(e.at_ms), lane_y(lane));
        let label = match (0..2).find(|&row| x - row_end[lane][row] >= LABEL_SPACING) {
            Some(row) => {
                row_end[lane][row] = x;
                let anchor = if x > WIDTH - LABEL_SPACING {
                    "end"
                } else {
                    "start"
                };
                format!(
                    "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                    y - 7.0 - 13.0 * row as f64,
                    esc(&truncate(&e.event, LABEL_CHARS))
                )
            }
            None => String::new(),
        };
        let fill = match e.source {
            EventSource::Step => "#0969da",
            EventSource::Monitor => "#ffffff",
        };
        let _ = writeln!(
            out,
            "<g><title>{} {} {} ({})</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" \
             fill=\"{fill}\" stroke=\"#0969da\"/>{label}</g>",
            ms(e.at_ms),
            esc(&e.party),
            esc(&e.event),
            source_name(e.source)
        );
    }
    out.push_str("</svg>\n");
}

fn lane_y(lane: usize) -> f64 {
    LANE * lane as f64 + LANE - 10.0
}

/// Ticks in seconds from the case start along the bottom.
fn axis(out: &mut String, span_ms: f64, y: f64, x_of: &dyn Fn(f64) -> f64) {
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#6e7781\"/>",
        WIDTH - RIGHT
    );
    let span_s = span_ms / 1000.0;
    let step = [
        0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    ]
    .into_iter()
    .find(|s| span_s / s <= 12.0)
    .unwrap_or(1200.0);
    let mut t = 0.0;
    while t <= span_s + 1e-9 {
        let x = x_of(t * 1000.0);
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y:.1}\" y2=\"{:.1}\" stroke=\"#6e7781\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{t} s</text>",
            y + 4.0,
            y + 15.0
        );
        t += step;
    }
}
