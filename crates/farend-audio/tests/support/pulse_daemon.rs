//! A private PulseAudio daemon for tests: its own runtime, state and home folders in a
//! temporary directory, anonymous clients on its own socket, null sinks, killed on drop.
//!
//! Shared by farend-audio's PulseAudio tests and the end-to-end tests (included by path).

#![allow(dead_code)]

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the daemon may take to open its socket (a loaded CI machine is slow).
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The null sinks every daemon has. `norewinds=1`: without it, a null sink rewinds what
/// it already rendered and captures of its monitor come back truncated.
pub const SINKS: [&str; 2] = ["lab_a_mic", "lab_b_ear"];

/// A running private PulseAudio daemon.
pub struct PulseDaemon {
    dir: tempfile::TempDir,
    child: Child,
}

impl PulseDaemon {
    /// Starts a daemon with the null sinks [`SINKS`] at 16 kHz and `module-loopback` from
    /// `lab_a_mic.monitor` into `lab_b_ear`, so `lab_a_mic` → `lab_b_ear.monitor` is a path
    /// across two devices. Panics (failing the test) when PulseAudio is missing or does not
    /// come up, saying what is missing.
    pub fn start() -> PulseDaemon {
        if Command::new("pulseaudio")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            panic!(
                "PulseAudio is missing: the `pulseaudio` program is not installed; these tests \
                 need a real PulseAudio daemon (scripts/setup.sh installs the Debian packages \
                 pulseaudio and pulseaudio-utils)"
            );
        }
        let dir = tempfile::tempdir().expect("a temporary folder for PulseAudio");
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("PulseAudio folders");
        }
        let log = std::fs::File::create(dir.path().join("daemon.log")).expect("a log file");
        let socket = dir.path().join("native");
        let mut cmd = Command::new("pulseaudio");
        cmd.args([
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            "--disable-shm=yes",
            "--log-target=stderr",
            "-L",
        ])
        .arg(format!(
            "module-native-protocol-unix auth-anonymous=1 socket={}",
            socket.display()
        ));
        for sink in SINKS {
            cmd.arg("-L").arg(format!(
                "module-null-sink sink_name={sink} rate=16000 norewinds=1"
            ));
        }
        cmd.arg("-L").arg(
            "module-loopback source=lab_a_mic.monitor sink=lab_b_ear latency_msec=40 adjust_time=0 \
             source_dont_move=1 sink_dont_move=1",
        );
        // Everything the daemon keeps goes to the temporary folder; as root it warns that
        // it is not meant to run as root without --system, and runs all the same.
        cmd.env("HOME", dir.path().join("home"))
            .env("PULSE_RUNTIME_PATH", dir.path().join("run"))
            .env("PULSE_STATE_PATH", dir.path().join("state"))
            .env("XDG_RUNTIME_DIR", dir.path().join("run"))
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("PULSE_SERVER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = cmd.spawn().expect("pulseaudio starts");
        let mut daemon = PulseDaemon { dir, child };
        daemon.wait_ready(&socket);
        daemon
    }

    /// Waits until the daemon accepts connections on its socket.
    fn wait_ready(&mut self, socket: &PathBuf) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the PulseAudio daemon exited ({status}) before opening {}:\n{}",
                    socket.display(),
                    self.log()
                );
            }
            if UnixStream::connect(socket).is_ok() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "the PulseAudio daemon did not open {} within {START_TIMEOUT:?}:\n{}",
                    socket.display(),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `PULSE_SERVER` for clients of this daemon.
    pub fn server(&self) -> String {
        format!("unix:{}", self.dir.path().join("native").display())
    }

    /// The environment a client of this daemon needs (and nothing of the caller's session).
    pub fn client_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PULSE_SERVER", self.server()),
            ("HOME", self.dir.path().join("home").display().to_string()),
            (
                "XDG_RUNTIME_DIR",
                self.dir.path().join("run").display().to_string(),
            ),
        ]
    }

    /// What the daemon logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }
}

impl Drop for PulseDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
