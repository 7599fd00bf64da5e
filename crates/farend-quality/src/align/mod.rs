//! Time alignment (P.862 §10.1.3; Rix et al., Part I): a crude delay from energy envelopes,
//! utterances found by voice activity in the reference, a delay per utterance refined by a
//! histogram of window correlations, and utterances split where the delay changes inside them.

mod envelope;
pub mod realign;
mod refine;
mod split;
mod utterances;

pub use envelope::block_len;
use refine::FineDelay;

/// One utterance of the reference and its delay in the degraded signal.
#[derive(Clone, Debug, PartialEq)]
pub struct Utterance {
    /// First sample in the reference.
    pub start: usize,
    /// One past the last sample in the reference.
    pub end: usize,
    /// Delay in samples (positive: the degraded signal is late).
    pub delay: isize,
    /// Share of the window votes that agree with the delay (0..1).
    pub confidence: f64,
    /// Samples at the end compared on purpose with audio the network inserted: where the
    /// delay grows into the next part of a split utterance, this part keeps its delay over
    /// the growth (see `split`).
    pub inserted: usize,
}

/// Search range around the crude delay for an utterance's envelope delay: 300 ms.
const UTTERANCE_SEARCH_MS: usize = 300;

/// What the alignment found.
pub struct Alignment {
    /// Utterances in time order.
    pub utterances: Vec<Utterance>,
    /// Delay of the whole file from the envelopes, samples.
    pub crude_delay: isize,
    /// Normalised envelope correlation at the crude delay (0..1).
    pub envelope_correlation: f64,
}

/// Everything one alignment needs about both signals.
pub struct Envelopes {
    /// Block length in samples.
    pub block: usize,
    /// Reference log envelope.
    pub reference: Vec<f64>,
    /// Degraded log envelope.
    pub degraded: Vec<f64>,
    /// Voice activity of each reference block.
    pub reference_active: Vec<bool>,
}

impl Envelopes {
    fn new(reference: &[f64], degraded: &[f64], rate: u32) -> Self {
        let block = block_len(rate);
        let er = envelope::block_energies(reference, block);
        let ed = envelope::block_energies(degraded, block);
        let tr = envelope::activity_threshold(&er);
        let td = envelope::activity_threshold(&ed);
        let reference_active = er.iter().map(|&e| e > tr).collect();
        Envelopes {
            block,
            reference: envelope::log_envelope(&er, tr),
            degraded: envelope::log_envelope(&ed, td),
            reference_active,
        }
    }

    /// Envelope delay (blocks) of reference blocks `span`, searched within ±`range` of `around`.
    fn delay(
        &self,
        span: std::ops::Range<usize>,
        around: isize,
        range: isize,
    ) -> Option<(isize, f64)> {
        envelope::best_lag(
            &self.reference,
            &self.degraded,
            span,
            around - range..=around + range,
        )
    }
}

/// Aligns `degraded` to `reference` (both level-aligned and filtered, at `rate`).
pub fn align(reference: &[f64], degraded: &[f64], rate: u32) -> Alignment {
    let env = Envelopes::new(reference, degraded, rate);
    let blocks = env.reference.len();
    let max_lag = env.degraded.len().max(blocks) as isize;
    let (crude, correlation) =
        envelope::best_lag_anywhere(&env.reference, &env.degraded, max_lag).unwrap_or((0, 0.0));
    let norm = (env.reference.iter().map(|v| v * v).sum::<f64>()
        * env.degraded.iter().map(|v| v * v).sum::<f64>())
    .sqrt();
    let envelope_correlation = if norm > 0.0 { correlation / norm } else { 0.0 };
    let mut fine = FineDelay::new(reference, degraded, rate);
    let search = (UTTERANCE_SEARCH_MS * rate as usize / 1000 / env.block) as isize;
    let mut utterances = Vec::new();
    for span in utterances::find(&env.reference_active, rate) {
        fine.forget();
        let u = align_span(&env, &mut fine, span, crude, search);
        let mut splitter = split::Splitter {
            env: &env,
            signals: split::Signals {
                reference,
                degraded,
            },
            fine: &mut fine,
            search,
            rate,
        };
        utterances.extend(splitter.split(u));
    }
    Alignment {
        utterances,
        crude_delay: crude * env.block as isize,
        envelope_correlation,
    }
}

/// Delay of the reference blocks `span`: envelope delay near `around`, then window votes.
fn align_span(
    env: &Envelopes,
    fine: &mut FineDelay,
    span: std::ops::Range<usize>,
    around: isize,
    search: isize,
) -> Utterance {
    let (coarse_blocks, _) = env
        .delay(span.clone(), around, search)
        .unwrap_or((around, 0.0));
    let coarse = coarse_blocks * env.block as isize;
    let start = span.start * env.block;
    let end = span.end * env.block;
    let (lag, confidence) = fine.lag(start, end, coarse).unwrap_or((0, 0.0));
    Utterance {
        start,
        end,
        delay: coarse + lag,
        confidence,
        inserted: 0,
    }
}
