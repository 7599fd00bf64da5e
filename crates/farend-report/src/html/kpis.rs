//! The campaign KPI section of the HTML report: the run's KPIs, the same split by handset
//! model, network profile and scenario, and a histogram of the MOS-LQO scores.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::kpi::{Distribution, Kpis, KpisBy, Ratio, counts_for_kpis, finite_values};
use crate::model::RunReport;
use crate::text::html_escape as esc;

/// Writes the KPI section; nothing when the run has no call attempt and no score.
pub(super) fn kpi_section(out: &mut String, report: &RunReport) {
    let run = Kpis::of(&report.cases);
    if run.setup_failure_ratio.n == 0 && run.mos_lqo.distribution.n == 0 {
        return;
    }
    out.push_str("<section id=\"kpis\">\n<h2>Campaign KPIs</h2>\n");
    run_table(out, &run);
    mos_histogram(out, report);
    let by = KpisBy::of(report);
    group_table(out, "Per handset model", &by.handset_model);
    group_table(out, "Per network profile", &by.network);
    group_table(out, "Per scenario", &by.scenario);
    out.push_str("</section>\n");
}

fn run_table(out: &mut String, k: &Kpis) {
    out.push_str(
        "<table>\n<tr><th>KPI (ETSI TS 102 250-2)</th><th>n</th><th>Value / mean</th>\
         <th>p10</th><th>p50</th><th>p90</th><th>95 % CI</th></tr>\n",
    );
    ratio_row(out, "Call setup failure ratio", &k.setup_failure_ratio);
    distribution_row(
        out,
        "Setup time, dial to alerting (ms)",
        &k.setup_time_ms,
        0,
    );
    ratio_row(out, "Cut-off call ratio", &k.cut_off_call_ratio);
    distribution_row(out, "MOS-LQO, per sample", &k.mos_lqo.distribution, 2);
    distribution_row(
        out,
        "MOS-LQO, per call",
        &k.mos_lqo_per_call.distribution,
        2,
    );
    distribution_row(out, "Mouth-to-ear delay (ms)", &k.delay_ms, 0);
    out.push_str("</table>\n");
    if !k.mos_lqo.categories.is_empty() {
        out.push_str("<p>MOS-LQO per sample by category: ");
        let shares: Vec<String> = ["excellent", "good", "fair", "poor", "bad"]
            .iter()
            .map(|c| {
                let share = k.mos_lqo.categories.get(*c).copied().unwrap_or(0.0);
                format!("{c} {:.0} %", share * 100.0)
            })
            .collect();
        out.push_str(&shares.join(" · "));
        out.push_str("</p>\n");
    }
}

fn ratio_row(out: &mut String, label: &str, r: &Ratio) {
    let _ = writeln!(
        out,
        "<tr><td>{label}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td></td><td></td>\
         <td></td><td class=\"num\">{}</td></tr>",
        r.n,
        percent(r.value),
        r.ci95
            .map(|[lo, hi]| format!("{} – {}", percent(Some(lo)), percent(Some(hi))))
            .unwrap_or_default()
    );
}

fn distribution_row(out: &mut String, label: &str, d: &Distribution, decimals: usize) {
    let num = |v: Option<f64>| fixed(v, decimals);
    let _ = writeln!(
        out,
        "<tr><td>{label}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td></tr>",
        d.n,
        num(d.mean),
        num(d.p10),
        num(d.p50),
        num(d.p90),
        d.ci95
            .map(|[lo, hi]| format!("{} – {}", num(Some(lo)), num(Some(hi))))
            .unwrap_or_default()
    );
}

fn group_table(out: &mut String, title: &str, groups: &BTreeMap<String, Kpis>) {
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h3>{title}</h3>\n<table>\n<tr><th></th><th>Attempts</th><th>Setup failures</th>\
         <th>Setup time p50</th><th>Cut-off</th><th>Scores</th><th>MOS-LQO mean</th>\
         <th>MOS-LQO p10</th><th>Delay p50</th></tr>"
    );
    for (name, k) in groups {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(name),
            k.setup_failure_ratio.n,
            percent(k.setup_failure_ratio.value),
            fixed(k.setup_time_ms.p50, 0),
            percent(k.cut_off_call_ratio.value),
            k.mos_lqo.distribution.n,
            fixed(k.mos_lqo.distribution.mean, 2),
            fixed(k.mos_lqo.distribution.p10, 2),
            fixed(k.delay_ms.p50, 0),
        );
    }
    out.push_str("</table>\n");
}

/// Lower edges of the histogram's bins: 0.25 MOS wide from 1.0 to 5.0.
const BIN_WIDTH: f64 = 0.25;
const BINS: usize = 16;

/// An SVG histogram of the MOS-LQO scores the KPIs count, bins coloured by category.
fn mos_histogram(out: &mut String, report: &RunReport) {
    let mut counts = [0usize; BINS];
    let cases = report.cases.iter().filter(|c| counts_for_kpis(c));
    for mos in cases.flat_map(|c| finite_values(c, "mos_lqo")) {
        let bin = ((mos - 1.0) / BIN_WIDTH)
            .floor()
            .clamp(0.0, (BINS - 1) as f64);
        counts[bin as usize] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return;
    }
    let (width, height, left, bottom) = (480.0, 160.0, 30.0, 20.0);
    let bar_w = (width - left) / BINS as f64;
    let _ = write!(
        out,
        "<h3>MOS-LQO distribution</h3>\n<svg class=\"mos-histogram\" role=\"img\" \
         aria-label=\"MOS-LQO distribution\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    let plot_h = height - bottom - 10.0;
    for (i, &count) in counts.iter().enumerate() {
        let lower = 1.0 + i as f64 * BIN_WIDTH;
        let h = plot_h * count as f64 / max as f64;
        let x = left + i as f64 * bar_w;
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\">\
             <title>{lower:.2}–{:.2}: {count}</title></rect>",
            height - bottom - h,
            bar_w - 1.0,
            category_colour(lower),
            lower + BIN_WIDTH
        );
    }
    for mos in 1..=5 {
        let x = left + (mos as f64 - 1.0) / BIN_WIDTH * bar_w;
        let _ = writeln!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{mos}</text>",
            height - 5.0
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"2\" y=\"18\">{max}</text><line x1=\"{left}\" y1=\"{0}\" x2=\"{width}\" \
         y2=\"{0}\" stroke=\"#6e7781\"/>\n</svg>",
        height - bottom
    );
}

/// Colour of the quality category a MOS value falls in (Excellent … Bad).
fn category_colour(mos: f64) -> &'static str {
    match farend_quality::category(mos) {
        farend_quality::Category::Excellent => "#1a7f37",
        farend_quality::Category::Good => "#4ac26b",
        farend_quality::Category::Fair => "#d4a72c",
        farend_quality::Category::Poor => "#e16f24",
        farend_quality::Category::Bad => "#cf222e",
    }
}

fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1} %", v * 100.0)).unwrap_or_default()
}

fn fixed(v: Option<f64>, decimals: usize) -> String {
    v.map(|v| format!("{v:.decimals$}")).unwrap_or_default()
}
