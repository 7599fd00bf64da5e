//! Helpers shared by the integration tests: a minimal ADB host and sound card clients.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use farend_lab::adb::transport::{A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_WRTE, Message};

/// A minimal ADB host speaking the transport protocol directly.
pub struct RawHost {
    pub stream: TcpStream,
    pub banner: String,
    pub device_max: u32,
    host_max: u32,
    next_id: u32,
}

/// What a shell command produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShellResult {
    pub stdout: String,
    pub stderr: String,
    pub exit: Option<u8>,
    /// Number of WRTE messages received.
    pub writes: usize,
}

impl RawHost {
    pub fn connect(addr: SocketAddr, max_payload: u32) -> RawHost {
        let stream = TcpStream::connect(addr).expect("connect to virtual handset");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut h = RawHost {
            stream,
            banner: String::new(),
            device_max: 0,
            host_max: max_payload,
            next_id: 100,
        };
        h.send(&Message::new(
            A_CNXN,
            0x0100_0001,
            max_payload,
            b"host::features=shell_v2,cmd\0".to_vec(),
        ));
        let m = h.recv();
        assert_eq!(m.command, A_CNXN, "device answers CNXN with CNXN");
        assert_eq!(m.arg0, 0x0100_0001);
        h.device_max = m.arg1;
        h.banner = String::from_utf8(m.data).unwrap();
        h
    }

    pub fn send(&mut self, m: &Message) {
        self.stream.write_all(&m.encode()).unwrap();
    }

    pub fn recv(&mut self) -> Message {
        Message::read(&mut self.stream).expect("message from device")
    }

    /// Opens a service; returns (local, remote) ids or None when the device refuses it.
    pub fn open(&mut self, service: &str) -> Option<(u32, u32)> {
        let local = self.next_id;
        self.next_id += 1;
        let mut d = service.as_bytes().to_vec();
        d.push(0);
        self.send(&Message::new(A_OPEN, local, 0, d));
        let m = self.recv();
        match m.command {
            A_OKAY => {
                assert_eq!(m.arg1, local);
                Some((local, m.arg0))
            }
            A_CLSE => None,
            c => panic!("unexpected reply {c:#x} to OPEN"),
        }
    }

    /// Runs a shell command, checking that the device never has two WRTEs outstanding.
    pub fn shell(&mut self, service: &str, stdin: &[u8]) -> ShellResult {
        let (local, remote) = self.open(service).expect("shell service opens");
        let v2 = service.starts_with("shell,v2");
        if !stdin.is_empty() {
            self.send(&Message::new(A_WRTE, local, remote, stdin.to_vec()));
        }
        let mut raw = Vec::new();
        let mut res = ShellResult::default();
        loop {
            let m = self.recv();
            match m.command {
                A_WRTE => {
                    assert_eq!((m.arg0, m.arg1), (remote, local));
                    assert!(
                        m.data.len() as u32 <= self.max_sent(),
                        "payload over host max"
                    );
                    res.writes += 1;
                    raw.extend_from_slice(&m.data);
                    // Before acknowledging, the device must not send another WRTE
                    // (an OKAY for our own writes may legitimately arrive).
                    self.stream
                        .set_read_timeout(Some(Duration::from_millis(30)))
                        .unwrap();
                    let mut probe = [0u8; 4];
                    let early = self.stream.peek(&mut probe);
                    self.stream
                        .set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    if let Ok(4) = early {
                        assert_ne!(&probe, b"WRTE", "device sent another WRTE before OKAY");
                    }
                    self.send(&Message::new(A_OKAY, local, remote, Vec::new()));
                }
                A_OKAY => {}
                A_CLSE => {
                    self.send(&Message::new(A_CLSE, local, remote, Vec::new()));
                    break;
                }
                c => panic!("unexpected {c:#x}"),
            }
        }
        if v2 {
            let mut i = 0;
            while i + 5 <= raw.len() {
                let len = u32::from_le_bytes(raw[i + 1..i + 5].try_into().unwrap()) as usize;
                let data = &raw[i + 5..i + 5 + len];
                match raw[i] {
                    1 => res.stdout.push_str(&String::from_utf8_lossy(data)),
                    2 => res.stderr.push_str(&String::from_utf8_lossy(data)),
                    3 => res.exit = Some(data[0]),
                    k => panic!("unexpected packet id {k}"),
                }
                i += 5 + len;
            }
            assert_eq!(i, raw.len(), "whole v2 packets");
        } else {
            res.stdout = String::from_utf8_lossy(&raw).into_owned();
        }
        res
    }

    fn max_sent(&self) -> u32 {
        self.host_max
    }
}

/// Runs one v2 shell command on a fresh connection.
pub fn sh(addr: SocketAddr, cmd: &str) -> ShellResult {
    let mut h = RawHost::connect(addr, 256 * 1024);
    h.shell(&format!("shell,v2,raw:{cmd}"), &[])
}

/// `mCallState` of the first phone id of a handset.
pub fn call_state(addr: SocketAddr) -> u8 {
    let out = sh(addr, "dumpsys telephony.registry").stdout;
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("mCallState="))
        .expect("mCallState line");
    line.trim()
        .trim_start_matches("mCallState=")
        .parse()
        .unwrap()
}

/// Waits until `f` holds, up to `timeout`.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// Parses a `virtual:HOST:PORT` card address.
pub fn card_addr(s: &str) -> SocketAddr {
    s.strip_prefix("virtual:").unwrap().parse().unwrap()
}

/// Connects to a card port and checks the hello; returns the stream.
pub fn card_connect(addr: &str, kind: u32, rate: u32) -> TcpStream {
    let mut s = TcpStream::connect(card_addr(addr)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut h = [0u8; 16];
    s.read_exact(&mut h).unwrap();
    assert_eq!(&h[0..4], b"FVSC");
    assert_eq!(u16::from_le_bytes([h[4], h[5]]), 1);
    assert_eq!(u16::from_le_bytes([h[6], h[7]]), 1);
    assert_eq!(u32::from_le_bytes(h[8..12].try_into().unwrap()), rate);
    assert_eq!(u32::from_le_bytes(h[12..16].try_into().unwrap()), kind);
    s
}

/// Reads one ear frame: (start_sample, samples).
pub fn read_ear_frame(s: &mut TcpStream) -> (u64, Vec<i16>) {
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    let start = u64::from_le_bytes(head[0..8].try_into().unwrap());
    let n = u32::from_le_bytes(head[8..12].try_into().unwrap()) as usize;
    let mut raw = vec![0u8; 2 * n];
    s.read_exact(&mut raw).unwrap();
    (
        start,
        raw.chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect(),
    )
}

/// Reads one `now` from a mic port.
pub fn read_mic_now(s: &mut TcpStream) -> u64 {
    let mut b = [0u8; 8];
    s.read_exact(&mut b).unwrap();
    u64::from_le_bytes(b)
}

/// Schedules samples on a mic port.
pub fn schedule(s: &mut TcpStream, start: u64, samples: &[i16]) {
    let mut b = Vec::with_capacity(12 + 2 * samples.len());
    b.extend_from_slice(&start.to_le_bytes());
    b.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    for x in samples {
        b.extend_from_slice(&x.to_le_bytes());
    }
    s.write_all(&b).unwrap();
}
