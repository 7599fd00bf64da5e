//! `compare.html`: one self-contained page saying what changed between two runs.

use std::fmt::Write as _;

use super::CSS;
use crate::compare::{Change, Comparison};
use crate::text::html_escape as esc;

/// Renders a comparison as one self-contained HTML page (inline CSS, no scripts).
pub fn compare_html(c: &Comparison) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>farend compare {} → {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
         <header>\n<h1>farend compare: {} → {}</h1>\n<div class=\"meta\">baseline {} · new {}\
         </div>\n</header>\n<main>\n",
        esc(&c.baseline_run),
        esc(&c.new_run),
        esc(&c.baseline_run),
        esc(&c.new_run),
        esc(&c.baseline_run),
        esc(&c.new_run),
    );
    verdict(&mut out, c);
    kpi_table(&mut out, c);
    direction_table(&mut out, c);
    failures(&mut out, c);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn verdict(out: &mut String, c: &Comparison) {
    out.push_str("<section>\n<h2>Verdict</h2>\n");
    if c.within_thresholds() {
        out.push_str("<div class=\"verdict v-pass\">Within every threshold.</div>\n");
    } else {
        out.push_str("<div class=\"verdict v-failure\">Past the thresholds:\n");
        for b in &c.breaches {
            let _ = writeln!(
                out,
                "- {}: {:+.3} (threshold {:.3})",
                esc(&b.what),
                b.delta,
                b.threshold
            );
        }
        out.push_str("</div>\n");
    }
    let t = &c.thresholds;
    let _ = writeln!(
        out,
        "<p>Thresholds: MOS-LQO drop ≤ {:.2}, setup failure ratio increase ≤ {:.1} points, \
         cut-off call ratio increase ≤ {:.1} points{}.</p>\n</section>",
        t.max_mos_drop,
        t.max_setup_failure_increase * 100.0,
        t.max_cut_off_increase * 100.0,
        t.max_delay_increase_ms
            .map(|d| format!(", median delay increase ≤ {d:.0} ms"))
            .unwrap_or_default()
    );
}

fn kpi_table(out: &mut String, c: &Comparison) {
    out.push_str(
        "<section>\n<h2>Campaign KPIs</h2>\n<table>\n<tr><th>KPI</th><th>Baseline</th>\
         <th>New</th><th>Change</th></tr>\n",
    );
    for (name, change) in &c.kpis {
        change_row(out, &esc(name), change);
    }
    out.push_str("</table>\n</section>\n");
}

fn direction_table(out: &mut String, c: &Comparison) {
    if c.directions.is_empty() {
        return;
    }
    out.push_str(
        "<section>\n<h2>Per scenario and direction</h2>\n<table>\n<tr><th>Scenario</th>\
         <th>Direction</th><th>MOS-LQO baseline</th><th>MOS-LQO new</th><th>Change</th>\
         <th>Delay p50 baseline</th><th>Delay p50 new</th><th>Change</th></tr>\n",
    );
    for d in &c.directions {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td>{}{}</tr>",
            esc(&d.scenario),
            esc(&d.direction),
            cells(&d.mos_lqo),
            cells(&d.delay_ms)
        );
    }
    out.push_str("</table>\n</section>\n");
}

fn failures(out: &mut String, c: &Comparison) {
    out.push_str("<section>\n<h2>New failures</h2>\n");
    if c.new_failures.is_empty() {
        out.push_str("<p>No case fails that did not fail in the baseline.</p>\n");
    } else {
        out.push_str("<table>\n<tr><th>Case</th><th>Verdict</th></tr>\n");
        for f in &c.new_failures {
            let _ = writeln!(
                out,
                "<tr class=\"row-failure\"><td>{}</td><td class=\"msg\">{}</td></tr>",
                esc(&f.case),
                esc(&f.verdict)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

fn change_row(out: &mut String, label: &str, change: &Change) {
    let _ = writeln!(out, "<tr><td>{label}</td>{}</tr>", cells(change));
}

fn cells(change: &Change) -> String {
    let num = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into());
    format!(
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        num(change.baseline),
        num(change.new),
        change
            .delta
            .map(|d| format!("{d:+.3}"))
            .unwrap_or_else(|| "–".into())
    )
}
