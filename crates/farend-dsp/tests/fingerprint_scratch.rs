mod fingerprint_support;
use fingerprint_support::*;
#[test]
fn scratch() {
    let (idx, un) = library();
    let off = 2336420usize;
    let part = un.parts.iter().find(|p| p.1 <= off && off < p.2).unwrap();
    eprintln!("query part {} +{}", part.0, (off - part.1) as f64 / 8000.0);
    let r = idx.parts.iter().find(|p| p.0 == "ref038-digits_p-m").unwrap();
    let q = to_f32(&un.clean[off..off + 24000]);
    let rr = to_f32(&idx.clean[r.1..r.2]);
    let est = farend_dsp::delay::estimate_delay(&q, &rr, 8000, 10.0);
    eprintln!("{est:?}");
}
