//! The pictures of a case's plays: reference and recording as waveforms and spectrograms.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::model::CaseReport;
use crate::text::html_escape as esc;

/// One figure per play picture of the case, inlined when `image` gives its bytes.
pub(super) fn plays_block(
    out: &mut String,
    case: &CaseReport,
    image: &dyn Fn(&str) -> Option<Vec<u8>>,
) {
    let plots: Vec<_> = case
        .attachments
        .iter()
        .filter(|a| a.kind == crate::image::ATTACHMENT_KIND)
        .collect();
    if plots.is_empty() {
        return;
    }
    let (width, height) = crate::image::play_png_size();
    out.push_str("<h3>Plays</h3>\n");
    for plot in plots {
        let src = match image(&plot.path) {
            Some(bytes) => format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
            None => super::url_path(&plot.path),
        };
        let step = plot
            .step
            .map(|s| format!("step {s}"))
            .unwrap_or_else(|| "play".into());
        let party = plot
            .party
            .as_deref()
            .map(|p| format!(", recorded at {}", esc(p)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<figure class=\"play\"><img width=\"{width}\" height=\"{height}\" \
             alt=\"{step}: reference and recording\" src=\"{src}\">\
             <figcaption>{step}{party}: reference (left) and recording (right); waveform above, \
             spectrogram below from 0 Hz to half the sample rate, −100 dB (dark) to 0 dB full \
             scale (bright)</figcaption></figure>"
        );
    }
}
