//! Lab faults without a lab: refused, silent and failing endpoints must give named errors
//! within the watchdog time, never a hang.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use farend_device::{CallState, Connection, DeviceError, Handset, Timeouts, server_devices};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SHORT: Timeouts = Timeouts {
    command: Duration::from_millis(800),
    connect: Duration::from_millis(800),
};

/// An address nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// A listener that accepts connections and never says a word.
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    addr
}

/// A fake adb server answering every request with `status` (`OKAY`/`FAIL`) and a hex-length
/// prefixed `body`.
async fn fake_adb_server(status: &'static str, body: &'static str) -> SocketAddr {
    let reply: &'static [u8] = format!("{status}{:04x}{body}", body.len())
        .leak()
        .as_bytes();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut len = [0u8; 4];
                if sock.read_exact(&mut len).await.is_err() {
                    return;
                }
                let Some(n) = std::str::from_utf8(&len)
                    .ok()
                    .and_then(|s| usize::from_str_radix(s, 16).ok())
                else {
                    return;
                };
                let mut body = vec![0u8; n];
                if sock.read_exact(&mut body).await.is_err() {
                    return;
                }
                let _ = sock.write_all(reply).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_direct_connection_is_offline() {
    let phone = Handset::new(
        "lab-a",
        Connection::Direct {
            addr: closed_port().await,
        },
        SHORT,
    );
    let started = Instant::now();
    let err = phone.call_state().await.expect_err("nothing listens");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, DeviceError::Offline { ref device, .. } if device == "lab-a"),
        "{err:?}"
    );
    assert!(err.is_lab_fault());
    assert!(err.to_string().contains("lab-a"));
    let log = phone.command_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].argv, ["dumpsys", "telephony.registry"]);
    assert!(log[0].error.is_some());
    assert_eq!(log[0].exit_code, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_handset_times_out_and_names_itself() {
    let phone = Handset::new(
        "lab-b",
        Connection::Direct {
            addr: silent_server().await,
        },
        SHORT,
    );
    let started = Instant::now();
    let err = phone.shell(&["getprop"]).await.expect_err("never answers");
    let took = started.elapsed();
    assert!(
        took >= SHORT.connect && took < SHORT.connect + Duration::from_secs(2),
        "took {took:?}"
    );
    match &err {
        DeviceError::Timeout {
            device,
            command,
            after,
        } => {
            assert_eq!(device, "lab-b");
            assert!(command.starts_with("connect"), "{command}");
            assert_eq!(*after, SHORT.connect);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.is_lab_fault());
    // The next call tries again (and times out again) rather than hanging on the old link.
    let started = Instant::now();
    assert!(matches!(
        phone.answer().await,
        Err(DeviceError::Timeout { .. })
    ));
    assert!(started.elapsed() < SHORT.connect + Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_state_stops_on_lab_fault() {
    let phone = Handset::new(
        "lab-c",
        Connection::Direct {
            addr: closed_port().await,
        },
        SHORT,
    );
    let err = phone
        .wait_for_state(CallState::Ringing, Duration::from_secs(30))
        .await
        .expect_err("offline");
    assert!(matches!(err, DeviceError::Offline { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_path_unknown_serial_is_offline() {
    let server = fake_adb_server("FAIL", "device 'emulator-9' not found").await;
    let phone = Handset::new(
        "lab-d",
        Connection::Server {
            server,
            serial: "emulator-9".into(),
        },
        SHORT,
    );
    let err = phone.identity().await.expect_err("no such device");
    match &err {
        DeviceError::Offline { device, detail } => {
            assert_eq!(device, "lab-d");
            assert!(detail.contains("not found"), "{detail}");
        }
        other => panic!("expected offline, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_path_ipv6_is_a_config_error() {
    let phone = Handset::new(
        "lab-e",
        Connection::Server {
            server: "[::1]:5037".parse().expect("addr"),
            serial: "x".into(),
        },
        SHORT,
    );
    let err = phone.answer().await.expect_err("ipv6");
    assert!(matches!(err, DeviceError::Config { .. }), "{err:?}");
    assert!(err.is_lab_fault());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_devices_lists_and_fails_cleanly() {
    let server = fake_adb_server("OKAY", "127.0.0.1:7001\tdevice\nemulator-5554\toffline\n").await;
    let list = server_devices(server, Duration::from_secs(2))
        .await
        .expect("lists");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].serial, "127.0.0.1:7001");
    assert_eq!(list[0].state, "device");
    assert_eq!(list[1].serial, "emulator-5554");
    assert_eq!(list[1].state, "offline");

    let empty = fake_adb_server("OKAY", "").await;
    assert!(
        server_devices(empty, Duration::from_secs(2))
            .await
            .expect("lists")
            .is_empty()
    );

    let closed = closed_port().await;
    let err = server_devices(closed, Duration::from_secs(2))
        .await
        .expect_err("closed");
    assert!(
        matches!(err, DeviceError::Offline { ref device, .. } if device.contains(&closed.to_string())),
        "{err:?}"
    );

    let silent = silent_server().await;
    let started = Instant::now();
    let err = server_devices(silent, Duration::from_millis(500))
        .await
        .expect_err("silent");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(
            err,
            DeviceError::Offline { .. } | DeviceError::Timeout { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_bytes_and_empty_commands_are_refused_before_sending() {
    let phone = Handset::new(
        "lab-f",
        Connection::Direct {
            addr: closed_port().await,
        },
        SHORT,
    );
    assert!(matches!(
        phone.shell(&["echo", "a\0b"]).await,
        Err(DeviceError::InvalidCommand { .. })
    ));
    assert!(matches!(
        phone.shell(&[]).await,
        Err(DeviceError::InvalidCommand { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_handset_names_do_not_panic() {
    let phone = Handset::new(
        "bad\0name\n",
        Connection::Direct {
            addr: closed_port().await,
        },
        SHORT,
    );
    let err = phone.call_state().await.expect_err("offline");
    assert_eq!(err.device(), "bad\0name\n");
}
