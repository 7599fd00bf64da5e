//! scratch
#[test]
fn scratch() {
    let bytes = std::fs::read("/tmp/tones-cmp/speech.raw").unwrap();
    let x: Vec<f32> = bytes.chunks_exact(2).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect();
    let segs = farend_dsp::tone::detect_tones(&x, 8000);
    let total = x.len() as f64 / 8.0;
    let mut w0 = 0.0;
    while w0 < total {
        let w1 = (w0 + 30_000.0f64).min(total);
        let win: Vec<_> = segs.iter().filter(|s| s.start_ms >= w0 && s.start_ms < w1).cloned().collect();
        if let Some(m) = farend_dsp::progress::classify_segments(&win, w1, None) { println!("{w0} {m:?}"); for s in &win { if s.start_ms >= m.start_ms - 100.0 && s.start_ms < m.start_ms + 8000.0 { println!("  {:.0} {:.0} {:?}", s.start_ms, s.duration_ms, s.components.iter().map(|c| (c.freq_hz.round(), c.level_dbov.round())).collect::<Vec<_>>()); } } }
        w0 = w1;
    }
}
