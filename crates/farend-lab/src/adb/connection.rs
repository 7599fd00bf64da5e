//! One host connection: the CNXN handshake and the demultiplexing of streams.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use super::shell_service::{self, Service};
use super::transport::{
    A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_STLS, A_WRTE, MAX_PAYLOAD, Message, VERSION,
};
use crate::DeviceContext;

/// Most streams one connection keeps open (each is served by its own thread); an OPEN beyond
/// them is refused with CLSE.
pub const MAX_STREAMS: usize = 32;
/// Most bytes the host may have written that the services of one connection have not read
/// yet; a host that floods past it loses the connection (the handset serves others).
pub const MAX_QUEUED_BYTES: usize = 4 * 1024 * 1024;

/// What a stream's service thread receives from the host.
#[derive(Debug)]
pub enum Event {
    /// The host acknowledged our last WRTE.
    Okay,
    /// The host wrote data.
    Data(Vec<u8>),
    /// The host closed the stream (or the connection died).
    Close,
}

/// The sending half of a connection, shared by all its streams.
#[derive(Debug)]
pub struct Writer {
    stream: Mutex<TcpStream>,
    /// Largest payload the host accepts.
    pub max_payload: Mutex<usize>,
}

impl Writer {
    /// Sends one message (atomically with respect to other streams).
    pub fn send(&self, m: &Message) -> io::Result<()> {
        let bytes = m.encode();
        let mut s = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        s.write_all(&bytes)
    }
}

/// A stream as seen by its service thread.
pub struct StreamIo {
    /// Our id for the stream.
    pub local: u32,
    /// The host's id for the stream.
    pub remote: u32,
    writer: Arc<Writer>,
    rx: Receiver<Event>,
    streams: Arc<Mutex<HashMap<u32, Sender<Event>>>>,
    /// Data the host wrote that the service has not consumed yet.
    pending: Vec<Vec<u8>>,
    /// Bytes written by the host and not read yet, over all streams of the connection.
    queued: Arc<AtomicUsize>,
    closed: bool,
}

impl StreamIo {
    /// Writes data as WRTE messages, waiting for the host's OKAY after each one.
    /// Returns false once the stream is closed.
    pub fn write(&mut self, data: &[u8]) -> bool {
        let max = (*self
            .writer
            .max_payload
            .lock()
            .unwrap_or_else(|e| e.into_inner()))
        .max(1);
        for chunk in data.chunks(max) {
            if self.closed {
                return false;
            }
            let m = Message::new(A_WRTE, self.local, self.remote, chunk.to_vec());
            if self.writer.send(&m).is_err() {
                self.closed = true;
                return false;
            }
            loop {
                match self.rx.recv() {
                    Ok(Event::Okay) => break,
                    Ok(Event::Data(d)) => self.pending.push(d),
                    Ok(Event::Close) | Err(_) => {
                        self.closed = true;
                        return false;
                    }
                }
            }
        }
        !self.closed
    }

    /// Next data the host wrote; `None` once the stream is closed.
    pub fn read(&mut self) -> Option<Vec<u8>> {
        if !self.pending.is_empty() {
            let d = self.pending.remove(0);
            self.queued.fetch_sub(d.len(), Ordering::SeqCst);
            return Some(d);
        }
        if self.closed {
            return None;
        }
        loop {
            match self.rx.recv() {
                Ok(Event::Data(d)) => {
                    self.queued.fetch_sub(d.len(), Ordering::SeqCst);
                    return Some(d);
                }
                Ok(Event::Okay) => {}
                Ok(Event::Close) | Err(_) => {
                    self.closed = true;
                    return None;
                }
            }
        }
    }

    /// Closes the stream from our side (CLSE) unless the host already did.
    pub fn close(mut self) {
        self.streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.local);
        if !self.closed {
            self.closed = true;
            let _ = self
                .writer
                .send(&Message::new(A_CLSE, self.local, self.remote, Vec::new()));
        }
    }
}

impl Drop for StreamIo {
    /// What the host wrote and the service never read stops counting against the connection.
    fn drop(&mut self) {
        let mut unread: usize = self.pending.drain(..).map(|d| d.len()).sum();
        while let Ok(event) = self.rx.try_recv() {
            if let Event::Data(d) = event {
                unread += d.len();
            }
        }
        self.queued.fetch_sub(unread, Ordering::SeqCst);
    }
}

/// `AUTH` subtypes (the `arg0` of an `AUTH` message).
const AUTH_TOKEN: u32 = 1;
const AUTH_SIGNATURE: u32 = 2;
const AUTH_RSAPUBLICKEY: u32 = 3;

/// Sends the handset's `CNXN` banner: the host is let in.
fn send_banner(writer: &Writer, ctx: &DeviceContext) -> bool {
    let banner = ctx.handset.banner().into_bytes();
    writer
        .send(&Message::new(A_CNXN, VERSION, MAX_PAYLOAD, banner))
        .is_ok()
}

/// Sends a fresh 20-byte token for the host to sign.
fn send_token(writer: &Writer) -> bool {
    let mut token = [0u8; 20];
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut state = seed | 1;
    for b in &mut token {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *b = state as u8;
    }
    writer
        .send(&Message::new(A_AUTH, AUTH_TOKEN, 0, token.to_vec()))
        .is_ok()
}

/// Serves one host connection until it closes.
pub fn serve(stream: TcpStream, ctx: Arc<DeviceContext>) {
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let writer = Arc::new(Writer {
        stream: Mutex::new(write_half),
        max_payload: Mutex::new(4096),
    });
    let streams: Arc<Mutex<HashMap<u32, Sender<Event>>>> = Arc::default();
    let queued = Arc::new(AtomicUsize::new(0));
    let mut next_id: u32 = 1;
    let mut authorised = !ctx.require_auth;
    let mut reader = io::BufReader::new(stream);
    while let Ok(m) = Message::read(&mut reader) {
        let ok = match m.command {
            A_CNXN => {
                let host_max = (m.arg1 as usize).clamp(256, MAX_PAYLOAD as usize);
                *writer.max_payload.lock().unwrap_or_else(|e| e.into_inner()) = host_max;
                if authorised {
                    send_banner(&writer, &ctx)
                } else {
                    send_token(&writer)
                }
            }
            // The host signed the token with a key this handset has never seen: ask again,
            // and the host offers its public key, which the user "allows".
            A_AUTH if !authorised && m.arg0 == AUTH_SIGNATURE => send_token(&writer),
            A_AUTH if !authorised && m.arg0 == AUTH_RSAPUBLICKEY => {
                authorised = true;
                send_banner(&writer, &ctx)
            }
            A_AUTH | A_STLS => true,
            // Nothing is opened before the host is let in (a real adbd drops it).
            A_OPEN if !authorised => false,
            A_OPEN => {
                let name = String::from_utf8_lossy(&m.data);
                let name = name.trim_end_matches('\0').to_string();
                let room = streams.lock().unwrap_or_else(|e| e.into_inner()).len() < MAX_STREAMS;
                match shell_service::parse(&name) {
                    Some(service) if m.arg0 != 0 && room => {
                        let local = next_id;
                        next_id = next_id.wrapping_add(1).max(1);
                        let (tx, rx) = channel();
                        streams
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(local, tx);
                        let okay = writer.send(&Message::new(A_OKAY, local, m.arg0, Vec::new()));
                        let io = StreamIo {
                            local,
                            remote: m.arg0,
                            writer: writer.clone(),
                            rx,
                            streams: streams.clone(),
                            pending: Vec::new(),
                            queued: queued.clone(),
                            closed: false,
                        };
                        spawn_service(service, io, ctx.clone());
                        okay.is_ok()
                    }
                    _ => writer
                        .send(&Message::new(A_CLSE, 0, m.arg0, Vec::new()))
                        .is_ok(),
                }
            }
            A_OKAY => {
                route(&streams, m.arg1, Event::Okay);
                true
            }
            A_WRTE => {
                let len = m.data.len();
                if queued.fetch_add(len, Ordering::SeqCst) + len > MAX_QUEUED_BYTES {
                    // A flood: the services cannot keep up, the host does not wait.
                    break;
                }
                let known = route(&streams, m.arg1, Event::Data(m.data));
                if !known {
                    queued.fetch_sub(len, Ordering::SeqCst);
                }
                if known {
                    writer
                        .send(&Message::new(A_OKAY, m.arg1, m.arg0, Vec::new()))
                        .is_ok()
                } else {
                    writer
                        .send(&Message::new(A_CLSE, 0, m.arg0, Vec::new()))
                        .is_ok()
                }
            }
            A_CLSE => {
                let tx = streams
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&m.arg1);
                if let Some(tx) = tx {
                    let _ = tx.send(Event::Close);
                }
                true
            }
            _ => true,
        };
        if !ok {
            break;
        }
    }
    // Connection gone: every stream sees a close.
    let all: Vec<Sender<Event>> = streams
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .drain()
        .map(|(_, tx)| tx)
        .collect();
    for tx in all {
        let _ = tx.send(Event::Close);
    }
    let _ = reader.get_ref().shutdown(std::net::Shutdown::Both);
}

/// Hands `ev` to stream `local`; false when no live service has it.
fn route(streams: &Mutex<HashMap<u32, Sender<Event>>>, local: u32, ev: Event) -> bool {
    let map = streams.lock().unwrap_or_else(|e| e.into_inner());
    // A stream whose service is gone counts as unknown: its data is not held.
    map.get(&local).is_some_and(|tx| tx.send(ev).is_ok())
}

fn spawn_service(service: Service, io: StreamIo, ctx: Arc<DeviceContext>) {
    // If no thread can be had, the stream is dropped unserved and the host times out.
    let name = format!("{}-stream", ctx.id);
    super::threads::StreamThreads::shared().run(
        name,
        Box::new(move || shell_service::run(service, io, &ctx)),
    );
}
