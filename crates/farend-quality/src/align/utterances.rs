//! Utterances of the reference (P.862 §10.1.3.1): runs of voice activity on 4 ms blocks,
//! joined across short pauses and kept only when long enough to align.

/// Pauses shorter than this join two runs into one utterance: 200 ms.
const JOIN_PAUSE_MS: usize = 200;
/// Utterances shorter than this are not aligned: 120 ms... see PROVENANCE.md.
const MIN_UTTERANCE_MS: usize = 100;

/// Utterances as block ranges, from per-block activity.
pub fn find(active: &[bool], rate: u32) -> Vec<std::ops::Range<usize>> {
    let block_ms = 4;
    let _ = rate;
    let join = JOIN_PAUSE_MS / block_ms;
    let min = MIN_UTTERANCE_MS / block_ms;
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut k = 0;
    while k < active.len() {
        if !active[k] {
            k += 1;
            continue;
        }
        let start = k;
        while k < active.len() && active[k] {
            k += 1;
        }
        match runs.last_mut() {
            Some(last) if start - last.end < join => last.end = k,
            _ => runs.push(start..k),
        }
    }
    runs.retain(|r| r.len() >= min);
    runs
}
