//! Debian's real `adb` (a private server on a free port) against the virtual handsets.

use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use farend_lab::{LabConfig, VirtualLab};

struct AdbServer {
    port: u16,
}

impl AdbServer {
    fn start() -> AdbServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let s = AdbServer { port };
        let out = s.run(&["start-server"]);
        assert!(
            out.status.success(),
            "adb start-server: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        s
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("adb")
            .arg("-P")
            .arg(self.port.to_string())
            .args(args)
            .output()
            .expect("run adb")
    }

    /// `adb -s SERIAL shell ARGS...`: (stdout, stderr, exit code).
    fn shell(&self, serial: &str, args: &[&str]) -> (String, String, i32) {
        let mut a = vec!["-s", serial, "shell"];
        a.extend_from_slice(args);
        let o = self.run(&a);
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
            o.status.code().unwrap_or(-1),
        )
    }

    fn connect(&self, serial: &str) {
        let o = self.run(&["connect", serial]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains(&format!("connected to {serial}")),
            "adb connect: {text}"
        );
        let end = Instant::now() + Duration::from_secs(15);
        loop {
            let st = self.run(&["-s", serial, "get-state"]);
            if String::from_utf8_lossy(&st.stdout).trim() == "device" {
                return;
            }
            assert!(Instant::now() < end, "{serial} never became 'device'");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn call_state(&self, serial: &str) -> u8 {
        let (out, _, _) = self.shell(serial, &["dumpsys", "telephony.registry"]);
        let line = out
            .lines()
            .find(|l| l.trim().starts_with("mCallState="))
            .expect("mCallState");
        line.trim()["mCallState=".len()..].parse().unwrap()
    }
}

impl Drop for AdbServer {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn adb_present() -> bool {
    match Command::new("adb").arg("version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "adb is required in CI but was not found"
            );
            eprintln!("skipping: the `adb` binary is not installed (apt-get install adb)");
            false
        }
    }
}

fn wait_state(adb: &AdbServer, serial: &str, want: u8) -> bool {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if adb.call_state(serial) == want {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn real_adb_drives_a_call_between_virtual_handsets() {
    if !adb_present() {
        return;
    }
    let lab = VirtualLab::start(LabConfig {
        handsets: 2,
        ..LabConfig::default()
    })
    .unwrap();
    let (a, b) = (&lab.handsets()[0], &lab.handsets()[1]);
    let adb = AdbServer::start();
    adb.connect(&a.serial);
    adb.connect(&b.serial);

    let devices = String::from_utf8_lossy(&adb.run(&["devices", "-l"]).stdout).into_owned();
    assert!(
        devices.contains(&a.serial) && devices.contains(&b.serial),
        "{devices}"
    );

    assert_eq!(
        adb.shell(&a.serial, &["getprop", "ro.product.model"]).0,
        format!("{}\n", a.model)
    );
    assert_eq!(
        adb.shell(&b.serial, &["getprop", "ro.product.model"]).0,
        format!("{}\n", b.model)
    );
    assert_eq!(adb.shell(&a.serial, &["false"]).2, 1);
    let (out, err, code) = adb.shell(&a.serial, &["nosuchcommand"]);
    assert_eq!((out.as_str(), code), ("", 127));
    assert_eq!(
        err,
        "/system/bin/sh: nosuchcommand: inaccessible or not found\n"
    );
    assert_eq!(adb.shell(&a.serial, &["exit 42"]).2, 42);
    // Quoting survives the trip through adb.
    assert_eq!(
        adb.shell(&a.serial, &["echo", "'a  b'", ";", "echo", ":farend-rc:$?"])
            .0,
        "a  b\n:farend-rc:0\n"
    );

    let (out, _, code) = adb.shell(
        &a.serial,
        &[
            "am",
            "start",
            "-a",
            "android.intent.action.CALL",
            "-d",
            &format!("tel:{}", b.number),
        ],
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with("Starting: Intent { act=android.intent.action.CALL dat=tel:x"),
        "{out}"
    );
    assert!(wait_state(&adb, &b.serial, 1), "B rings");
    assert_eq!(adb.call_state(&a.serial), 2, "caller offhook while dialing");

    adb.shell(&b.serial, &["input", "keyevent", "KEYCODE_CALL"]);
    assert!(
        wait_state(&adb, &a.serial, 2) && wait_state(&adb, &b.serial, 2),
        "both offhook"
    );
    let telecom = adb.shell(&b.serial, &["dumpsys", "telecom"]).0;
    assert!(
        telecom.contains("Call TC@1: {") && telecom.contains("direction: INCOMING"),
        "{telecom}"
    );

    // Pipelines and redirections, as scripts on real phones use them.
    let (out, _, code) = adb.shell(
        &a.serial,
        &["dumpsys telephony.registry | grep mCallState= 2>/dev/null"],
    );
    assert_eq!((out.as_str(), code), ("    mCallState=2\n", 0));

    adb.shell(&a.serial, &["input", "keyevent", "KEYCODE_ENDCALL"]);
    assert!(
        wait_state(&adb, &a.serial, 0) && wait_state(&adb, &b.serial, 0),
        "both idle"
    );
    let log = adb.shell(&b.serial, &["logcat", "-d"]).0;
    assert!(log.contains("DISCONNECTED"), "{log}");
}

#[test]
fn adb_client_through_the_real_adb_server() {
    use adb_client::ADBDeviceExt;
    use adb_client::server::ADBServer;
    use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

    if !adb_present() {
        return;
    }
    let lab = VirtualLab::start(LabConfig {
        handsets: 1,
        ..LabConfig::default()
    })
    .unwrap();
    let h = &lab.handsets()[0];
    let adb = AdbServer::start();
    let mut server = ADBServer::new(SocketAddrV4::new(Ipv4Addr::LOCALHOST, adb.port));
    let SocketAddr::V4(dev_addr) = h.adb_addr else {
        panic!("IPv4 lab")
    };
    server.connect_device(dev_addr).expect("host:connect");
    adb.connect(&h.serial);
    let mut dev = server.get_device_by_name(&h.serial).expect("device listed");

    let run = |dev: &mut adb_client::server_device::ADBServerDevice, cmd: &str| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = dev
            .shell_command(&cmd, Some(&mut out), Some(&mut err))
            .expect("shell");
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
            code,
        )
    };
    // adb_client 3.2 reads the v2 exit packet but then reports None at end of stream,
    // so farend appends an exit-code marker; stdout and stderr arrive separated.
    let (out, err, _) = run(
        &mut dev,
        "getprop ro.product.manufacturer ; echo :farend-rc:$?",
    );
    assert_eq!(
        (out, err),
        (format!("{}\n:farend-rc:0\n", h.manufacturer), String::new())
    );
    assert_eq!(
        run(&mut dev, "false ; echo :farend-rc:$?").0,
        ":farend-rc:1\n"
    );
    let (out, err, _) = run(&mut dev, "nosuch ; echo :farend-rc:$?");
    assert_eq!(out, ":farend-rc:127\n");
    assert_eq!(err, "/system/bin/sh: nosuch: inaccessible or not found\n");
}
