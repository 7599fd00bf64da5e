//! The fingerprint index format and identification basics, on synthetic audio.

use farend_dsp::fingerprint::{
    BITS, Extractor, FingerprintError, Index, IndexError, extract, identify,
};

/// Deterministic speech-like test signal: a buzz whose pitch and formants wander, with
/// syllable-like amplitude modulation; `seed` makes each one different.
fn babble(seconds: f64, rate: u32, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let n = (seconds * f64::from(rate)) as usize;
    let seg = (0.12 * f64::from(rate)) as usize;
    let mut out = Vec::with_capacity(n);
    let (mut phase, mut f1, mut f2, mut amp) = (0.0f64, 500.0, 1500.0, 0.2);
    let (mut p1, mut p2) = (0.0f64, 0.0f64);
    for i in 0..n {
        if i % seg == 0 {
            f1 = 300.0 + 600.0 * rnd();
            f2 = 1000.0 + 1800.0 * rnd();
            amp = if rnd() < 0.2 {
                0.0
            } else {
                0.05 + 0.25 * rnd()
            };
        }
        let f0 = 110.0 + 40.0 * ((i as f64) / f64::from(rate) * 3.0).sin();
        phase += f0 / f64::from(rate);
        let pulse = (phase.fract() - 0.5).abs() * 2.0;
        p1 += f1 / f64::from(rate);
        p2 += f2 / f64::from(rate);
        let v =
            pulse * ((p1 * std::f64::consts::TAU).sin() + 0.6 * (p2 * std::f64::consts::TAU).sin());
        out.push((amp * v) as f32);
    }
    out
}

fn library(rate: u32) -> (Index, Vec<Vec<f32>>) {
    let mut index = Index::new();
    let refs: Vec<Vec<f32>> = (0..6).map(|k| babble(8.0, rate, k + 1)).collect();
    for (k, r) in refs.iter().enumerate() {
        index.add(&format!("ref{k}"), r, rate).unwrap();
    }
    (index, refs)
}

#[test]
fn index_round_trips_through_bytes() {
    let (index, _) = library(8000);
    let bytes = index.to_bytes();
    // 16 ms per word: 32 bits, 8 bits of weight and a 32-bit mask, plus headers.
    assert!(
        bytes.len() < 6 * 8 * 63 * 9 + 400,
        "index is {} bytes",
        bytes.len()
    );
    let back = Index::from_bytes(&bytes).unwrap();
    assert_eq!(back, index);
    assert_eq!(back.len(), 6);
    assert!((back.total_duration_s() - 48.0).abs() < 0.5);
}

/// FNV-1a, the checksum of index versions 1 and 2.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[test]
fn an_index_of_the_first_version_is_read_with_every_bit_compared() {
    let (index, refs) = library(8000);
    let v2 = index.to_bytes();
    // Rewrite as version 1: the same header, entries without their masks.
    let header = 4 + 2 + 2 * 3 + 4 * 2 + 2 * 2 + 4;
    let mut v1 = v2[..header].to_vec();
    v1[4..6].copy_from_slice(&1u16.to_le_bytes());
    for e in index.entries() {
        v1.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        v1.extend_from_slice(e.name.as_bytes());
        v1.extend_from_slice(&(e.fingerprint.frames.len() as u32).to_le_bytes());
        for w in &e.fingerprint.frames {
            v1.extend_from_slice(&w.to_le_bytes());
        }
        v1.extend_from_slice(&e.fingerprint.weights);
    }
    let sum = fnv1a(&v1);
    v1.extend_from_slice(&sum.to_le_bytes());
    let old = Index::from_bytes(&v1).unwrap();
    assert_eq!(old.len(), index.len());
    for (a, b) in old.entries().iter().zip(index.entries()) {
        assert_eq!(a.fingerprint.frames, b.fingerprint.frames);
        assert!(a.fingerprint.masks.iter().all(|&m| m == u32::MAX));
        assert!(b.fingerprint.masks.iter().any(|&m| m.count_ones() == 24));
    }
    let id = identify(&old, &refs[2][8000..8000 * 4], 8000);
    assert_eq!(id.matched.as_deref(), Some("ref2"));
}

#[test]
fn an_index_of_the_second_version_is_read_as_written() {
    let (index, _) = library(8000);
    let v3 = index.to_bytes();
    // Version 2: the same content under its own number, checked with FNV-1a.
    let mut v2 = v3[..v3.len() - 4].to_vec();
    v2[4..6].copy_from_slice(&2u16.to_le_bytes());
    let sum = fnv1a(&v2);
    v2.extend_from_slice(&sum.to_le_bytes());
    assert_eq!(Index::from_bytes(&v2), Ok(index.clone()));
    // Each version is checked with its own checksum only.
    let mut v3_with_fnv = v3[..v3.len() - 4].to_vec();
    let sum = fnv1a(&v3_with_fnv);
    v3_with_fnv.extend_from_slice(&sum.to_le_bytes());
    assert_eq!(Index::from_bytes(&v3_with_fnv), Err(IndexError::Checksum));
    assert_eq!(Index::from_bytes(&v3), Ok(index));
}

#[test]
fn damaged_indexes_are_refused() {
    let (index, _) = library(8000);
    let bytes = index.to_bytes();
    assert_eq!(Index::from_bytes(b"nope"), Err(IndexError::BadMagic));
    assert_eq!(
        Index::from_bytes(&bytes[..bytes.len() - 7]),
        Err(IndexError::Checksum)
    );
    assert_eq!(Index::from_bytes(&bytes[..10]), Err(IndexError::Truncated));
    let mut flipped = bytes.clone();
    let mid = bytes.len() / 2;
    flipped[mid] ^= 0x40;
    assert_eq!(Index::from_bytes(&flipped), Err(IndexError::Checksum));
    let mut newer = bytes.clone();
    newer[4] = 9;
    assert_eq!(
        Index::from_bytes(&newer),
        Err(IndexError::UnsupportedVersion(9))
    );
    let mut other = bytes;
    other[8] = 5; // energy smoothing
    assert_eq!(
        Index::from_bytes(&other),
        Err(IndexError::ParameterMismatch)
    );
}

#[test]
fn duplicate_names_and_bad_rates_are_errors() {
    let mut index = Index::new();
    let x = babble(3.0, 8000, 1);
    index.add("a", &x, 8000).unwrap();
    assert_eq!(
        index.add("a", &x, 8000),
        Err(IndexError::DuplicateName("a".into()))
    );
    assert_eq!(
        index.add("b", &x, 4000),
        Err(IndexError::Fingerprint(FingerprintError::UnsupportedRate(
            4000
        )))
    );
    assert!(extract(&x, 0).is_err());
    assert_eq!(index.add("", &x, 8000), Err(IndexError::BadName));
}

#[test]
fn clean_excerpts_are_found_at_their_offset() {
    let (index, refs) = library(8000);
    for (k, r) in refs.iter().enumerate() {
        for start_ms in [0usize, 1234, 4999] {
            let a = start_ms * 8;
            let id = identify(&index, &r[a..a + 24000], 8000);
            assert_eq!(id.matched.as_deref(), Some(format!("ref{k}").as_str()));
            let off = id.offset_ms.unwrap();
            assert!(
                (off - start_ms as f64).abs() <= 2.0,
                "ref{k} at {start_ms}: {off}"
            );
            assert!(id.confidence > 0.5 && id.confidence <= 1.0);
        }
    }
}

/// A recording that holds the last 6 of a reference's 8 s and then other audio (a call
/// crossed with another, a play cut short) is named: 6 s is not 85 % of the reference,
/// but it is long enough to stand on its own.
#[test]
fn most_of_a_reference_followed_by_other_audio_is_found() {
    let (index, refs) = library(8000);
    let mut q = refs[2][8000 * 2..].to_vec();
    q.extend(babble(4.0, 8000, 77));
    let id = identify(&index, &q, 8000);
    assert_eq!(id.matched.as_deref(), Some("ref2"), "{:?}", id.reason);
    let off = id.offset_ms.unwrap();
    assert!((off - 2000.0).abs() <= 2.0, "offset {off}");
    // Two seconds of it are not enough.
    let mut short = refs[2][8000 * 6..].to_vec();
    short.extend(babble(8.0, 8000, 78));
    assert_eq!(identify(&index, &short, 8000).matched, None);
}

#[test]
fn a_query_starting_before_the_reference_has_a_negative_offset() {
    let (index, refs) = library(8000);
    let mut q = babble(0.4, 8000, 99);
    q.extend_from_slice(&refs[3][..8000 * 3]);
    let id = identify(&index, &q, 8000);
    assert_eq!(id.matched.as_deref(), Some("ref3"));
    let off = id.offset_ms.unwrap();
    assert!((off + 400.0).abs() <= 2.0, "offset {off}");
}

#[test]
fn other_rates_match_an_index_made_at_8_khz() {
    // The same signal at 16 kHz: band energies are computed in hertz, not bins.
    let (index, _) = library(8000);
    let r16 = babble(8.0, 16000, 3);
    let id = identify(&index, &r16[32000..80000], 16000);
    assert_eq!(id.matched.as_deref(), Some("ref2"));
    assert!(
        (id.offset_ms.unwrap() - 2000.0).abs() <= 3.0,
        "{:?}",
        id.offset_ms
    );
}

#[test]
fn silence_noise_and_unknown_audio_match_nothing() {
    let (index, _) = library(8000);
    assert_eq!(identify(&index, &vec![0.0; 24000], 8000).matched, None);
    assert_eq!(identify(&index, &[], 8000).matched, None);
    assert_eq!(
        identify(&index, &babble(3.0, 8000, 1)[..100], 8000).matched,
        None
    );
    let mut s = 1u32;
    let noise: Vec<f32> = (0..24000)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect();
    assert_eq!(identify(&index, &noise, 8000).matched, None);
    for seed in 50..60 {
        let id = identify(&index, &babble(3.0, 8000, seed), 8000);
        assert_eq!(id.matched, None, "seed {seed}: ber {}", id.ber);
        assert_eq!(id.confidence, 0.0);
    }
    assert_eq!(identify(&index, &babble(3.0, 8000, 1), 1000).matched, None);
}

/// A query that is mostly silence matches nothing, and its answer says that pauses fill
/// it (with how much active speech it holds), while a query that matches carries no such
/// measurement.
#[test]
fn a_query_that_is_mostly_pause_says_so_when_it_matches_nothing() {
    let (index, refs) = library(8000);
    let mut q = vec![0.0f32; 8000 * 2];
    q.extend_from_slice(&refs[1][8000..8000 * 2]);
    let id = identify(&index, &q, 8000);
    assert_eq!(id.matched, None);
    let activity = id
        .activity
        .expect("activity measured for a query that matched nothing");
    assert!((0.2..0.5).contains(&activity), "activity {activity}");
    let reason = id.reason.expect("a reason");
    assert!(reason.contains("active speech"), "{reason}");
    let found = identify(&index, &refs[1][8000..8000 * 4], 8000);
    assert_eq!(found.matched.as_deref(), Some("ref1"));
    assert_eq!(found.activity, None);
}

#[test]
fn extraction_is_deterministic_and_sized_by_hop() {
    let x = babble(2.0, 8000, 7);
    let mut ex = Extractor::new(8000).unwrap();
    let a = ex.extract(&x);
    let b = ex.extract(&x);
    assert_eq!(a, b);
    assert_eq!(a.frames.len(), ex.frames_for(x.len()));
    assert!(
        (a.frames.len() as i64 - 123).abs() <= 2,
        "{} words",
        a.frames.len()
    );
    assert!(a.masks.iter().all(|&m| m == u32::MAX));
    let masked = ex.extract_masked(&x, 12);
    assert!(masked.masks.iter().all(|m| m.count_ones() >= 12));
    let partial = masked
        .masks
        .iter()
        .filter(|m| (m.count_ones() as usize) < BITS)
        .count();
    assert!(
        partial * 10 >= masked.masks.len() * 7,
        "{partial} of {} words masked",
        masked.masks.len()
    );
    assert!(ex.extract(&x[..100]).frames.is_empty());
}
