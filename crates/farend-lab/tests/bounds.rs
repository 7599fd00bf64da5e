//! What a host can make a virtual handset hold is bounded: streams per connection, bytes
//! written and not read, connections per handset. Past a bound the host is refused or loses
//! its connection, and the handset goes on serving others.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use common::{RawHost, sh};
use farend_lab::adb::connection::{MAX_QUEUED_BYTES, MAX_STREAMS};
use farend_lab::adb::transport::{A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_WRTE, Message};
use farend_lab::server::MAX_CONNECTIONS;
use farend_lab::{LabConfig, VirtualLab};

fn lab() -> VirtualLab {
    VirtualLab::start(LabConfig {
        handsets: 1,
        ..LabConfig::default()
    })
    .unwrap()
}

/// Opens `service` as stream `local` and returns the device's answer to it (OKAY or CLSE)
/// and the device's id of the stream, skipping the WRTEs of streams opened before, which are
/// left unacknowledged so that their services stay busy.
fn open_unacknowledged(host: &mut RawHost, local: u32, service: &str) -> (u32, u32) {
    let mut name = service.as_bytes().to_vec();
    name.push(0);
    host.send(&Message::new(A_OPEN, local, 0, name));
    loop {
        let m = host.recv();
        if m.arg1 == local && (m.command == A_OKAY || m.command == A_CLSE) {
            return (m.command, m.arg0);
        }
    }
}

/// The handset still answers a fresh connection.
fn still_serves(lab: &VirtualLab) {
    let h = &lab.handsets()[0];
    assert_eq!(
        sh(h.adb_addr, "getprop ro.product.model").stdout,
        format!("{}\n", h.model)
    );
}

#[test]
fn an_open_beyond_the_stream_limit_is_refused() {
    let lab = lab();
    let mut host = RawHost::connect(lab.handsets()[0].adb_addr, 4096);
    for i in 0..MAX_STREAMS as u32 {
        assert_eq!(
            open_unacknowledged(&mut host, 1000 + i, "shell:getprop").0,
            A_OKAY,
            "stream {i}"
        );
    }
    assert_eq!(
        open_unacknowledged(&mut host, 5000, "shell:getprop").0,
        A_CLSE,
        "one stream too many"
    );
    still_serves(&lab);
}

#[test]
fn a_host_that_floods_a_stream_loses_its_connection_and_others_are_served() {
    let lab = lab();
    let mut host = RawHost::connect(lab.handsets()[0].adb_addr, 4096);
    // A live stream whose service waits for the host's OKAY, which never comes.
    let local = 700;
    let (answer, remote) = open_unacknowledged(&mut host, local, "shell:getprop");
    assert_eq!(answer, A_OKAY);
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0usize;
    let mut closed = false;
    host.stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    while sent <= 2 * MAX_QUEUED_BYTES {
        let m = Message::new(A_WRTE, local, remote, chunk.clone());
        if std::io::Write::write_all(&mut host.stream, &m.encode()).is_err() {
            closed = true;
            break;
        }
        sent += chunk.len();
    }
    if !closed {
        // The device closes its side: reading ends (after what it had sent) with EOF.
        let mut sink = Vec::new();
        host.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        closed = host.stream.read_to_end(&mut sink).is_ok();
    }
    assert!(closed, "the flooding connection is closed");
    still_serves(&lab);
}

#[test]
fn connections_beyond_the_limit_are_closed_and_the_others_go_on() {
    let lab = lab();
    let addr = lab.handsets()[0].adb_addr;
    let hosts: Vec<RawHost> = (0..MAX_CONNECTIONS)
        .map(|_| RawHost::connect(addr, 4096))
        .collect();
    let mut extra = TcpStream::connect(addr).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // A served connection would answer this CNXN with its own.
    let hello = Message::new(A_CNXN, 0x0100_0001, 4096, b"host::\0".to_vec());
    let _ = std::io::Write::write_all(&mut extra, &hello.encode());
    let mut buf = [0u8; 24];
    assert!(
        matches!(extra.read(&mut buf), Ok(0) | Err(_)),
        "the connection beyond the limit is closed"
    );
    let mut first = hosts.into_iter().next().unwrap();
    let r = first.shell("shell:getprop ro.product.model", &[]);
    assert_eq!(r.stdout, format!("{}\n", lab.handsets()[0].model));
}
