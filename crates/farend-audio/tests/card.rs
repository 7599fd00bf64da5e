//! Play-and-record against an in-test virtual sound card server speaking the lab protocol.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use farend_audio::{AudioError, Endpoint, Pcm, play_and_record, record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

#[derive(Default)]
struct State {
    clock: u64,
    /// Mic timeline: lab clock index -> sample.
    scheduled: BTreeMap<u64, i16>,
    dropped: u64,
    ears: Vec<mpsc::UnboundedSender<Vec<u8>>>,
    mics: Vec<mpsc::UnboundedSender<Vec<u8>>>,
}

/// A fake lab: one clock, one mic port, one ear port; the ear hears the mic `delay`
/// samples later (a loopback "network").
struct FakeCard {
    mic: SocketAddr,
    ear: SocketAddr,
    state: Arc<Mutex<State>>,
}

fn hello(rate: u32, kind: u32) -> Vec<u8> {
    let mut h = b"FVSC".to_vec();
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&kind.to_le_bytes());
    h
}

async fn start_fake_card(rate: u32, delay: u64) -> FakeCard {
    let mic_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ear_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (mic, ear) = (mic_l.local_addr().unwrap(), ear_l.local_addr().unwrap());
    let state = Arc::new(Mutex::new(State {
        clock: 123_456, // the lab has been running for a while
        ..State::default()
    }));
    let tick = (rate / 50) as u64;

    let st = state.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(20));
        loop {
            interval.tick().await;
            let mut s = st.lock().unwrap();
            let t = s.clock;
            let mut frame = Vec::with_capacity(12 + 2 * tick as usize);
            frame.extend_from_slice(&t.to_le_bytes());
            frame.extend_from_slice(&(tick as u32).to_le_bytes());
            for i in t..t + tick {
                let v = i
                    .checked_sub(delay)
                    .and_then(|j| s.scheduled.get(&j).copied())
                    .unwrap_or(0);
                frame.extend_from_slice(&v.to_le_bytes());
            }
            s.clock += tick;
            let now = s.clock.to_le_bytes().to_vec();
            s.ears.retain(|tx| tx.send(frame.clone()).is_ok());
            s.mics.retain(|tx| tx.send(now.clone()).is_ok());
        }
    });

    let st = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = ear_l.accept().await else {
                return;
            };
            let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
            st.lock().unwrap().ears.push(tx);
            tokio::spawn(async move {
                let mut sock = sock;
                if sock.write_all(&hello(rate, 1)).await.is_err() {
                    return;
                }
                while let Some(f) = rx.recv().await {
                    if sock.write_all(&f).await.is_err() {
                        return;
                    }
                }
            });
        }
    });

    let st = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = mic_l.accept().await else {
                return;
            };
            let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
            st.lock().unwrap().mics.push(tx);
            let (mut rd, mut wr) = sock.into_split();
            tokio::spawn(async move {
                if wr.write_all(&hello(rate, 0)).await.is_err() {
                    return;
                }
                while let Some(f) = rx.recv().await {
                    if wr.write_all(&f).await.is_err() {
                        return;
                    }
                }
            });
            let st2 = st.clone();
            tokio::spawn(async move {
                loop {
                    let mut head = [0u8; 12];
                    if rd.read_exact(&mut head).await.is_err() {
                        return;
                    }
                    let start = u64::from_le_bytes(head[0..8].try_into().unwrap());
                    let n = u32::from_le_bytes(head[8..12].try_into().unwrap()) as usize;
                    let mut data = vec![0u8; 2 * n];
                    if rd.read_exact(&mut data).await.is_err() {
                        return;
                    }
                    let mut s = st2.lock().unwrap();
                    for (i, b) in data.chunks_exact(2).enumerate() {
                        let at = start + i as u64;
                        if at < s.clock {
                            s.dropped += 1;
                        } else {
                            s.scheduled.insert(at, i16::from_le_bytes([b[0], b[1]]));
                        }
                    }
                }
            });
        }
    });
    FakeCard { mic, ear, state }
}

/// Deterministic noise in -0.3..0.3 as i16.
fn noise(n: usize, seed: u64) -> Vec<i16> {
    let mut s = seed.max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 48) as i32 - 32768) as i16 / 3
        })
        .collect()
}

fn endpoints(card: &FakeCard) -> (Endpoint, Endpoint) {
    (
        format!("virtual:{}", card.mic).parse().unwrap(),
        format!("virtual:{}", card.ear).parse().unwrap(),
    )
}

#[tokio::test]
async fn loopback_is_sample_accurate() {
    let delay = 37;
    let card = start_fake_card(16000, delay).await;
    let (mic, ear) = endpoints(&card);
    let reference = Pcm::new(16000, noise(8000, 42));
    let len = 9000;
    let cap = play_and_record(&mic, &ear, &reference, len, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(cap.recording.rate, 16000);
    assert_eq!(cap.recording.samples.len(), len);
    assert_eq!(cap.reference, reference);
    assert_eq!(cap.late_samples, 0);
    assert!(cap.start_clock >= 123_456);
    assert_eq!(card.state.lock().unwrap().dropped, 0);
    // Exactly the reference, `delay` samples later, silence elsewhere.
    for (i, &s) in cap.recording.samples.iter().enumerate() {
        let want = if i >= delay as usize && i - (delay as usize) < 8000 {
            reference.samples[i - delay as usize]
        } else {
            0
        };
        assert_eq!(s, want, "sample {i}");
    }
    let est = farend_dsp::delay::estimate_delay(
        &cap.reference.to_f32(),
        &cap.recording.to_f32(),
        16000,
        0.5,
    )
    .unwrap();
    assert_eq!(est.samples, delay as i64);
}

#[tokio::test]
async fn reference_is_resampled_to_the_card_rate() {
    let card = start_fake_card(16000, 160).await;
    let (mic, ear) = endpoints(&card);
    let reference = Pcm::new(8000, noise(4000, 7));
    let cap = play_and_record(&mic, &ear, &reference, 10000, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(cap.reference.rate, 16000);
    assert_eq!(cap.reference.samples.len(), 8000);
    assert_eq!(cap.recording.samples.len(), 10000);
    assert_eq!(
        &cap.recording.samples[160..8160],
        &cap.reference.samples[..]
    );
    assert!(cap.recording.samples[..160].iter().all(|&s| s == 0));
}

#[tokio::test]
async fn record_only_starts_on_a_tick() {
    let card = start_fake_card(8000, 0).await;
    let (_, ear) = endpoints(&card);
    let cap = record(&ear, 1000, Duration::from_secs(5)).await.unwrap();
    assert_eq!(cap.recording.samples.len(), 1000);
    assert_eq!(cap.recording.rate, 8000);
    assert!(cap.reference.samples.is_empty());
    assert_eq!((cap.start_clock - 123_456) % 160, 0);
}

#[tokio::test]
async fn errors_name_the_endpoint() {
    // Nothing listens on this port.
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = l.local_addr().unwrap();
    drop(l);
    let ep: Endpoint = format!("virtual:{closed}").parse().unwrap();
    let err = record(&ep, 10, Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(err, AudioError::Connect { .. }), "{err}");
    assert!(err.to_string().contains(&ep.to_string()), "{err}");

    // Mic and ear swapped: the ports announce the wrong kind.
    let card = start_fake_card(8000, 0).await;
    let (mic, ear) = endpoints(&card);
    let pcm = Pcm::new(8000, vec![0; 80]);
    let err = play_and_record(&ear, &mic, &pcm, 80, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(err, AudioError::Protocol { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("this is the ear port, expected the mic port"),
        "{err}"
    );

    // A server that accepts but never speaks.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut keep = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            keep.push(s);
        }
    });
    let ep: Endpoint = format!("virtual:{addr}").parse().unwrap();
    let err = record(&ep, 10, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, AudioError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");

    // Something that is not a virtual card.
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = http.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = http.accept().await {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let ep: Endpoint = format!("virtual:{addr}").parse().unwrap();
    let err = record(&ep, 10, Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(err, AudioError::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("magic"), "{err}");
}
