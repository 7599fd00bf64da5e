//! Virtual sound cards: the mic and ear TCP ports of every handset, and the lab clock.
//!
//! Wire format (little endian): a 16-byte hello `b"FVSC" | u16 version | u16 channels |
//! u32 rate | u32 kind` (0 mic, 1 ear); then on the ear port one frame per tick
//! `u64 start | u32 n | n × i16`; on the mic port one `u64 now` per tick from the lab and
//! `u64 start | u32 n | n × i16` schedules from the client.

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::network::Network;

/// Hello `kind` of a microphone port.
pub const KIND_MIC: u32 = 0;
/// Hello `kind` of an earpiece port.
pub const KIND_EAR: u32 = 1;
/// Tick period of the lab clock.
pub const TICK: Duration = Duration::from_millis(20);
/// Largest schedule a client may send in one message (samples).
const MAX_SCHEDULE: u32 = 16000 * 600;
/// Frames buffered per slow client before it is disconnected.
const CLIENT_QUEUE: usize = 500;

/// The 16-byte hello sent on connect.
pub fn hello(rate: u32, kind: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(b"FVSC");
    h[4..6].copy_from_slice(&1u16.to_le_bytes());
    h[6..8].copy_from_slice(&1u16.to_le_bytes());
    h[8..12].copy_from_slice(&rate.to_le_bytes());
    h[12..16].copy_from_slice(&kind.to_le_bytes());
    h
}

/// Senders to the connected ear clients of one handset.
type EarClients = Mutex<Vec<SyncSender<Arc<Vec<u8>>>>>;

/// Connected card clients, per handset.
#[derive(Debug, Default)]
pub struct Hub {
    ears: Vec<EarClients>,
    mics: Vec<Mutex<Vec<SyncSender<u64>>>>,
}

impl Hub {
    /// A hub for `n` handsets.
    pub fn new(n: usize) -> Self {
        Hub {
            ears: (0..n).map(|_| Mutex::default()).collect(),
            mics: (0..n).map(|_| Mutex::default()).collect(),
        }
    }

    /// Disconnects every client of a handset.
    pub fn drop_clients(&self, idx: usize) {
        lock(&self.ears[idx]).clear();
        lock(&self.mics[idx]).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn broadcast<T: Clone>(clients: &Mutex<Vec<SyncSender<T>>>, v: T) {
    lock(clients).retain(|tx| match tx.try_send(v.clone()) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => false,
    });
}

/// Serves an ear port connection: frames from the next tick on.
pub fn serve_ear(mut stream: TcpStream, idx: usize, rate: u32, hub: Arc<Hub>) {
    let _ = stream.set_nodelay(true);
    if stream.write_all(&hello(rate, KIND_EAR)).is_err() {
        return;
    }
    let (tx, rx) = sync_channel::<Arc<Vec<u8>>>(CLIENT_QUEUE);
    lock(&hub.ears[idx]).push(tx);
    while let Ok(frame) = rx.recv() {
        if stream.write_all(&frame).is_err() {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Serves a mic port connection: `now` per tick out, schedules in.
pub fn serve_mic(
    stream: TcpStream,
    idx: usize,
    rate: u32,
    hub: Arc<Hub>,
    net: Arc<Mutex<Network>>,
) {
    let _ = stream.set_nodelay(true);
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let now = lock(&net).phones[idx].mic.now();
    if out.write_all(&hello(rate, KIND_MIC)).is_err() || out.write_all(&now.to_le_bytes()).is_err()
    {
        return;
    }
    let (tx, rx) = sync_channel::<u64>(CLIENT_QUEUE);
    lock(&hub.mics[idx]).push(tx);
    let writer = std::thread::Builder::new()
        .name("mic-now".into())
        .spawn(move || {
            while let Ok(now) = rx.recv() {
                if out.write_all(&now.to_le_bytes()).is_err() {
                    break;
                }
            }
            let _ = out.shutdown(Shutdown::Both);
        });
    let mut r = BufReader::new(&stream);
    let mut head = [0u8; 12];
    while r.read_exact(&mut head).is_ok() {
        let start = u64::from_le_bytes(head[0..8].try_into().unwrap_or_default());
        let n = u32::from_le_bytes(head[8..12].try_into().unwrap_or_default());
        if n > MAX_SCHEDULE {
            break;
        }
        let mut raw = vec![0u8; n as usize * 2];
        if r.read_exact(&mut raw).is_err() {
            break;
        }
        let samples: Vec<i16> = raw
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let mut net = lock(&net);
        if !net.phones[idx].alive {
            break;
        }
        net.phones[idx].mic.schedule(start, &samples, rate);
    }
    let _ = stream.shutdown(Shutdown::Both);
    if let Ok(w) = writer {
        let _ = w.join();
    }
}

/// Runs the lab clock until `stop`: every tick the network consumes each mic and every
/// earpiece frame is sent to its clients.
pub fn clock_loop(net: Arc<Mutex<Network>>, hub: Arc<Hub>, rate: u32, stop: Arc<AtomicBool>) {
    let n = (u64::from(rate) * TICK.as_millis() as u64 / 1000) as usize;
    let mut clock: u64 = 0;
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        next += TICK;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > Duration::from_secs(1) {
            // Far behind (machine suspended or overloaded): resynchronise instead of racing.
            next = now;
        }
        let (ears, nows) = {
            let mut net = lock(&net);
            let ears = net.tick(n);
            let nows: Vec<u64> = net.phones.iter().map(|p| p.mic.now()).collect();
            (ears, nows)
        };
        for (idx, ear) in ears.iter().enumerate() {
            let mut frame = Vec::with_capacity(12 + 2 * ear.len());
            frame.extend_from_slice(&clock.to_le_bytes());
            frame.extend_from_slice(&(ear.len() as u32).to_le_bytes());
            for s in ear {
                frame.extend_from_slice(&s.to_le_bytes());
            }
            broadcast(&hub.ears[idx], Arc::new(frame));
            broadcast(&hub.mics[idx], nows[idx]);
        }
        clock += n as u64;
    }
}
