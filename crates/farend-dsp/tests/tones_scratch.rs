//! scratch
#[test]
fn scratch() {
    let bytes = std::fs::read("/tmp/tones-cmp/speech.raw").unwrap();
    let x: Vec<f32> = bytes.chunks_exact(2).take(8000 * 600).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect();
    let segs = farend_dsp::tone::detect_tones(&x, 8000);
    let mut h = [0usize; 8];
    for s in &segs { let b = ((s.duration_ms / 50.0) as usize).min(7); h[b] += 1; }
    println!("n={} hist50ms={:?}", segs.len(), h);
    for s in segs.iter().filter(|s| s.duration_ms > 150.0).take(15) { println!("{:.0} {:.0} {:?}", s.start_ms, s.duration_ms, s.components.iter().map(|c| (c.freq_hz.round(), c.level_dbov.round())).collect::<Vec<_>>()); }
}
