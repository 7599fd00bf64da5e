//! The adb-server path against the virtual lab with Debian's real `adb`: a private server
//! (`adb -P PORT start-server`), `adb connect` to two virtual handsets, then a call through
//! `Connection::Server`. The server is killed at the end, also when the test fails.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use farend_device::{
    CallState, Connection, DeviceError, Handset, Number, Timeouts, server_devices,
};
use farend_lab::{LabConfig, VirtualLab};

/// The `adb` binary, if there is one.
fn find_adb() -> Option<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("adb"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin/adb"))
        .chain(candidates)
        .find(|p| p.is_file())
}

/// A private adb server, killed on drop.
struct AdbServer {
    adb: PathBuf,
    port: u16,
}

impl AdbServer {
    fn start(adb: PathBuf) -> AdbServer {
        // A free port outside the emulator range 5555-5585.
        let port = loop {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind");
            let p = l.local_addr().expect("addr").port();
            if !(5555..=5585).contains(&p) {
                break p;
            }
        };
        let server = AdbServer { adb, port };
        let out = server.run(&["start-server"]);
        assert!(
            out.status.success(),
            "adb start-server: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        server
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.adb)
            .arg("-P")
            .arg(self.port.to_string())
            .args(args)
            .output()
            .expect("run adb")
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for AdbServer {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_through_a_real_adb_server() {
    let Some(adb) = find_adb() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "adb is not installed (apt-get install adb)"
        );
        eprintln!("skipped: adb is not installed (apt-get install adb)");
        return;
    };
    let lab = VirtualLab::start(LabConfig {
        handsets: 2,
        ..LabConfig::default()
    })
    .expect("lab starts");
    let server = AdbServer::start(adb);
    for info in lab.handsets() {
        let out = server.run(&["connect", &info.serial]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("connected to"),
            "adb connect {}: {text}",
            info.serial
        );
    }

    // Wait until the server lists both handsets as `device`.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list = server_devices(server.addr(), Duration::from_secs(3))
            .await
            .expect("adb devices");
        let ready = lab.handsets().iter().all(|h| {
            list.iter()
                .any(|d| d.serial == h.serial && d.state == "device")
        });
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "handsets never came online: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let via_server = |i: usize, name: &str| {
        Handset::new(
            name,
            Connection::Server {
                server: server.addr(),
                serial: lab.handsets()[i].serial.clone(),
            },
            Timeouts::default(),
        )
    };
    let a = via_server(0, "a");
    let b = via_server(1, "b");

    let id = a.identity().await.expect("identity");
    assert_eq!(id.model, lab.handsets()[0].model);
    assert_eq!(a.shell(&["false"]).await.expect("false").exit_code, 1);
    assert_eq!(
        a.shell(&["no-such-command"]).await.expect("runs").exit_code,
        127
    );
    assert_eq!(
        a.shell(&["echo", "it's $(x)"]).await.expect("echo").stdout,
        "it's $(x)\n"
    );

    let number: Number = lab.handsets()[1].number.parse().expect("dialable");
    a.dial(&number).await.expect("dial");
    b.wait_for_state(CallState::Ringing, Duration::from_secs(10))
        .await
        .expect("rings");
    b.answer().await.expect("answer");
    a.wait_for_state(CallState::Offhook, Duration::from_secs(10))
        .await
        .expect("a offhook");
    b.wait_for_state(CallState::Offhook, Duration::from_secs(10))
        .await
        .expect("b offhook");
    assert!(b.hang_up().await.expect("hang up"));
    a.wait_for_state(CallState::Idle, Duration::from_secs(10))
        .await
        .expect("a idle");
    b.wait_for_state(CallState::Idle, Duration::from_secs(10))
        .await
        .expect("b idle");

    // A serial the server does not know is a named lab fault.
    let ghost = Handset::new(
        "ghost",
        Connection::Server {
            server: server.addr(),
            serial: "127.0.0.1:1".into(),
        },
        Timeouts::default(),
    );
    let err = ghost.call_state().await.expect_err("unknown serial");
    assert!(matches!(err, DeviceError::Offline { .. }), "{err:?}");
    assert_eq!(err.device(), "ghost");

    // A handset that dies behind the server fails within the watchdog time.
    assert!(lab.kill_handset(&lab.handsets()[1].id));
    let started = Instant::now();
    let err = b.call_state().await.expect_err("gone");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.is_lab_fault(), "{err:?}");
    assert_eq!(err.device(), "b");

    let mut times: Vec<Duration> = a.command_log().iter().map(|r| r.duration).collect();
    times.sort();
    eprintln!(
        "adb server path: {} commands to a, median {:?}, slowest {:?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
    drop(server);
    lab.shutdown();
}
