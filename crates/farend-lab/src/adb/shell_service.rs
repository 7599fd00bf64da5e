//! The `shell:` and `exec:` services: shell protocol v1 (raw bytes) and v2 (framed).

use super::connection::StreamIo;
use crate::DeviceContext;
use crate::android::AndroidHost;
use crate::shell::{Output, run_into};

/// Shell v2 packet ids.
pub mod id {
    /// Standard input (host → device).
    pub const STDIN: u8 = 0;
    /// Standard output (device → host).
    pub const STDOUT: u8 = 1;
    /// Standard error (device → host).
    pub const STDERR: u8 = 2;
    /// Exit status (device → host), one byte.
    pub const EXIT: u8 = 3;
    /// Standard input closed (host → device).
    pub const CLOSE_STDIN: u8 = 4;
    /// Window size change (host → device).
    pub const WINDOW_SIZE: u8 = 5;
}

/// A service a host can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// `shell[,options]:command`; v2 when the options contain `v2`. Empty command: interactive.
    Shell {
        /// Shell protocol v2 framing.
        v2: bool,
        /// A terminal was asked for (`pty` option): echo, prompt, CRLF line ends.
        pty: bool,
        /// The command line (may be empty).
        command: String,
    },
    /// `exec:command`: raw output, no stderr separation.
    Exec(String),
    /// `sync:`: file transfer (see [`super::sync_service`]).
    Sync,
}

/// Parses an OPEN destination; `None` for services this device does not offer.
pub fn parse(name: &str) -> Option<Service> {
    if name == "sync:" {
        return Some(Service::Sync);
    }
    if let Some(cmd) = name.strip_prefix("exec:") {
        return Some(Service::Exec(cmd.to_string()));
    }
    let rest = name.strip_prefix("shell")?;
    let (opts, command) = rest.split_once(':')?;
    if !(opts.is_empty() || opts.starts_with(',')) {
        return None;
    }
    let v2 = opts.split(',').any(|o| o == "v2");
    let pty = opts.split(',').any(|o| o == "pty");
    Some(Service::Shell {
        v2,
        pty,
        command: command.to_string(),
    })
}

/// Encodes one shell v2 packet.
pub fn packet(id: u8, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(5 + data.len());
    p.push(id);
    p.extend_from_slice(&(data.len() as u32).to_le_bytes());
    p.extend_from_slice(data);
    p
}

fn send_output(io: &mut StreamIo, v2: bool, out: &Output) -> bool {
    if v2 {
        let mut all = Vec::new();
        for (fd, bytes) in &out.chunks {
            let fd = if *fd == 2 { id::STDERR } else { id::STDOUT };
            all.extend_from_slice(&packet(fd, bytes));
        }
        all.is_empty() || io.write(&all)
    } else {
        let all = out.combined();
        all.is_empty() || io.write(&all)
    }
}

/// Runs a service on a stream until it ends, then closes the stream.
pub fn run(service: Service, mut io: StreamIo, ctx: &DeviceContext) {
    // A hung handset takes the command and answers only once it recovers (when its call
    // ends): the host's watchdog must give up on it first. Answering late, rather than
    // never, lets the host's waiting worker finish instead of waiting for ever.
    while crate::android::lock(&ctx.net).phones[ctx.handset.idx].unresponsive {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut host = AndroidHost {
        handset: &ctx.handset,
        net: &ctx.net,
    };
    let (v2, command) = match &service {
        Service::Shell { v2, command, .. } => (*v2, command.clone()),
        Service::Exec(c) => (false, c.clone()),
        Service::Sync => {
            let file = |path: &str| {
                let net = crate::android::lock(&ctx.net);
                net.phones[ctx.handset.idx].files.get(path).cloned()
            };
            return super::sync_service::run(io, &file);
        }
    };
    let pty = matches!(service, Service::Shell { pty: true, .. });
    if !command.trim().is_empty() {
        let mut out = Output::default();
        let (status, _) = run_into(&command, &mut host, &mut out, 0);
        if send_output(&mut io, v2, &out) && v2 {
            io.write(&packet(id::EXIT, &[status]));
        }
        io.close();
        return;
    }
    interactive(&mut io, v2, pty, &mut host, ctx.handset.profile.device);
    io.close();
}

/// What the host typed, decoded from v1 bytes or v2 packets.
struct Input {
    raw: Vec<u8>,
    eof: bool,
}

impl Input {
    fn next(&mut self, io: &mut StreamIo, v2: bool) -> Option<Vec<u8>> {
        if self.eof {
            return None;
        }
        let data = io.read()?;
        if !v2 {
            return Some(data);
        }
        self.raw.extend_from_slice(&data);
        let mut input = Vec::new();
        while self.raw.len() >= 5 {
            let len =
                u32::from_le_bytes([self.raw[1], self.raw[2], self.raw[3], self.raw[4]]) as usize;
            if self.raw.len() < 5 + len {
                break;
            }
            let pkt: Vec<u8> = self.raw.drain(..5 + len).collect();
            match pkt[0] {
                id::STDIN => input.extend_from_slice(&pkt[5..]),
                id::CLOSE_STDIN => {
                    input.push(b'\n');
                    self.eof = true;
                }
                _ => {}
            }
        }
        Some(input)
    }
}

/// An interactive session: commands arrive on stdin, one per line. With a pty the session
/// behaves like a terminal: it echoes, prompts, and ends lines with CRLF.
fn interactive(io: &mut StreamIo, v2: bool, pty: bool, host: &mut AndroidHost<'_>, device: &str) {
    let prompt = format!("{device}:/ $ ");
    let mut input = Input {
        raw: Vec::new(),
        eof: false,
    };
    let mut line = Vec::new();
    let mut status = 0u8;
    let send_tty = |io: &mut StreamIo, text: &[u8]| {
        let crlf: Vec<u8> = text
            .iter()
            .flat_map(|&b| {
                if b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![b]
                }
            })
            .collect();
        if v2 {
            io.write(&packet(id::STDOUT, &crlf))
        } else {
            io.write(&crlf)
        }
    };
    if pty && !send_tty(io, prompt.as_bytes()) {
        return;
    }
    let finish = |io: &mut StreamIo, status: u8| {
        if v2 {
            io.write(&packet(id::EXIT, &[status]));
        }
    };
    while let Some(data) = input.next(io, v2) {
        for b in data {
            let end = b == b'\n' || (pty && b == b'\r');
            // Ctrl-D on an empty line ends the session, as in a terminal.
            let ctrl_d = pty && b == 0x04 && line.is_empty();
            if pty && (b == 0x7f || b == 0x08) {
                if line.pop().is_some() && !send_tty(io, b"\x08 \x08") {
                    return;
                }
                continue;
            } else if !end && !ctrl_d {
                line.push(b);
                if pty && !send_tty(io, &[b]) {
                    return;
                }
                continue;
            }
            if pty && !send_tty(io, b"\n") {
                return;
            }
            if ctrl_d {
                return finish(io, status);
            }
            let text = String::from_utf8_lossy(&line).replace('\r', "");
            line.clear();
            let mut out = Output::default();
            let (st, exited) = run_into(&text, host, &mut out, status);
            status = st;
            let sent = if pty {
                send_tty(io, &out.combined())
            } else {
                send_output(io, v2, &out)
            };
            if !sent {
                return;
            }
            if exited {
                return finish(io, status);
            }
            if pty && !send_tty(io, prompt.as_bytes()) {
                return;
            }
        }
        if input.eof {
            return finish(io, status);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_service_names() {
        assert_eq!(
            parse("shell:getprop"),
            Some(Service::Shell {
                v2: false,
                pty: false,
                command: "getprop".into()
            })
        );
        assert_eq!(
            parse("shell,v2,TERM=xterm-256color,raw:echo a:b"),
            Some(Service::Shell {
                v2: true,
                pty: false,
                command: "echo a:b".into()
            })
        );
        assert_eq!(
            parse("shell,v2,TERM=xterm-256color,pty:"),
            Some(Service::Shell {
                v2: true,
                pty: true,
                command: String::new()
            })
        );
        assert_eq!(parse("exec:ls"), Some(Service::Exec("ls".into())));
        assert_eq!(parse("sync:"), Some(Service::Sync));
        assert_eq!(parse("framebuffer:"), None);
        assert_eq!(parse("shellfoo:x"), None);
        assert_eq!(packet(3, &[7]), vec![3, 1, 0, 0, 0, 7]);
    }
}
