//! The direct path against a scripted adbd: how odd shell output is read (missing exit
//! marker, CR LF line ends, `am start` refusing), and that a command that hangs times out,
//! its connection is dropped and the next command reconnects.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use farend_device::{CallState, Connection, DeviceError, Handset, Timeouts};

const CNXN: u32 = 0x4E58_4E43;
const OPEN: u32 = 0x4E45_504F;
const OKAY: u32 = 0x5941_4B4F;
const WRTE: u32 = 0x4554_5257;
const CLSE: u32 = 0x4553_4C43;

fn send(
    sock: &mut TcpStream,
    command: u32,
    arg0: u32,
    arg1: u32,
    data: &[u8],
) -> std::io::Result<()> {
    let mut msg = Vec::with_capacity(24 + data.len());
    let sum: u32 = data.iter().map(|b| u32::from(*b)).sum();
    for word in [
        command,
        arg0,
        arg1,
        data.len() as u32,
        sum,
        command ^ 0xFFFF_FFFF,
    ] {
        msg.extend_from_slice(&word.to_le_bytes());
    }
    msg.extend_from_slice(data);
    sock.write_all(&msg)
}

fn recv(sock: &mut TcpStream) -> std::io::Result<(u32, u32, Vec<u8>)> {
    let mut header = [0u8; 24];
    sock.read_exact(&mut header)?;
    let word =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let mut data = vec![0u8; word(12) as usize];
    sock.read_exact(&mut data)?;
    Ok((word(0), word(4), data))
}

/// What the fake shell answers: the raw bytes for a command line, or `None` to hang.
type Script = fn(&str) -> Option<Vec<u8>>;

fn serve(mut sock: TcpStream, script: Script) -> std::io::Result<()> {
    let (cmd, _, _) = recv(&mut sock)?;
    assert_eq!(cmd, CNXN);
    send(
        &mut sock,
        CNXN,
        0x0100_0001,
        1 << 20,
        b"device::ro.product.model=Fake;features=shell_v2\0",
    )?;
    let mut next_id = 100;
    loop {
        let (cmd, local, data) = recv(&mut sock)?;
        if cmd != OPEN {
            continue; // OKAYs for our writes and CLSE acknowledgements
        }
        let dest = String::from_utf8_lossy(&data)
            .trim_end_matches('\0')
            .to_owned();
        let line = dest.strip_prefix("shell:").unwrap_or(&dest).to_owned();
        next_id += 1;
        let Some(reply) = script(&line) else {
            // Hang: keep the connection open and say nothing more.
            std::thread::sleep(Duration::from_secs(30));
            return Ok(());
        };
        send(&mut sock, OKAY, next_id, local, &[])?;
        send(&mut sock, WRTE, next_id, local, &reply)?;
        send(&mut sock, CLSE, next_id, local, &[])?;
    }
}

/// Starts the fake adbd; returns its address and a counter of accepted connections.
fn fake_adbd(script: Script) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || serve(sock, script));
        }
    });
    (addr, accepted)
}

fn script(line: &str) -> Option<Vec<u8>> {
    let reply: &[u8] = if line.starts_with("dumpsys telephony.registry") {
        // A pty-style reply: CR LF line ends.
        b"last known state:\r\n  Phone Id=0\r\n    mCallState=1\r\n:farend-rc:0\r\n"
    } else if line.starts_with("getprop") {
        // The marker is missing: the shell died before printing it.
        b"[ro.product.model]: [Fake]\n"
    } else if line.starts_with("am start") {
        b"Starting: Intent { act=android.intent.action.CALL dat=tel:xxx }\nError: Activity not started, unable to resolve Intent\n:farend-rc:0\n"
    } else if line.starts_with("input keyevent KEYCODE_ENDCALL") {
        return None;
    } else if line.starts_with("logcat") {
        b"--------- beginning of main\n:farend-rc:5\n"
    } else {
        b":farend-rc:0\n"
    };
    Some(reply.to_vec())
}

fn phone(addr: SocketAddr) -> Handset {
    Handset::new(
        "fake",
        Connection::Direct { addr },
        Timeouts {
            command: Duration::from_millis(700),
            connect: Duration::from_secs(5),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_output_is_read_or_reported() {
    let (addr, _) = fake_adbd(script);
    let p = phone(addr);
    assert_eq!(p.call_state().await.expect("state"), CallState::Ringing);
    let out = p
        .shell(&["dumpsys", "telephony.registry"])
        .await
        .expect("shell");
    assert!(!out.stdout.contains('\r'));
    assert!(!out.stdout.contains("farend-rc"));

    let err = p.identity().await.expect_err("no marker");
    assert!(
        matches!(err, DeviceError::Parse { ref command, .. } if command.starts_with("getprop")),
        "{err:?}"
    );

    let err = p
        .dial(&"123".parse().expect("number"))
        .await
        .expect_err("refused");
    match &err {
        DeviceError::CommandFailed {
            device,
            command,
            output,
            ..
        } => {
            assert_eq!(device, "fake");
            assert!(command.starts_with("am start"), "{command}");
            assert!(output.contains("unable to resolve"), "{output}");
        }
        other => panic!("expected CommandFailed, got {other:?}"),
    }

    let err = p.logcat().await.expect_err("exit 5");
    assert!(
        matches!(err, DeviceError::CommandFailed { exit_code: 5, .. }),
        "{err:?}"
    );
    let log = p.command_log();
    assert_eq!(log.last().and_then(|r| r.exit_code), Some(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_command_times_out_and_the_next_one_reconnects() {
    let (addr, accepted) = fake_adbd(script);
    let p = phone(addr);
    assert_eq!(p.call_state().await.expect("state"), CallState::Ringing);
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // Ringing, so hang_up sends ENDCALL, which the fake never answers.
    let started = Instant::now();
    let err = p.hang_up().await.expect_err("hangs");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    match &err {
        DeviceError::Timeout {
            device,
            command,
            after,
        } => {
            assert_eq!(device, "fake");
            assert!(command.contains("KEYCODE_ENDCALL"), "{command}");
            assert_eq!(*after, Duration::from_millis(700));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(err.is_lab_fault());

    // The stuck connection was discarded: the next command opens a new one and works.
    assert_eq!(p.call_state().await.expect("state"), CallState::Ringing);
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    let log = p.command_log();
    let endcall = log
        .iter()
        .find(|r| r.argv.iter().any(|a| a == "KEYCODE_ENDCALL"))
        .expect("logged");
    assert!(
        endcall
            .error
            .as_deref()
            .is_some_and(|e| e.contains("timed out"))
    );
    assert_eq!(endcall.exit_code, None);
}
