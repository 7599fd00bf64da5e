//! A small POSIX-like shell, enough for what farend and `adb shell` users send to a phone.
//!
//! Words are split as POSIX does with single quotes, double quotes and backslashes; `;`,
//! newlines, `&&` and `||` separate commands; `|` builds pipelines; `>`/`2>`/`2>&1`
//! redirect (only `/dev/null` is writable); `$?` expands to the last exit status; `#`
//! starts a comment. Builtins: `echo`, `true`, `false`, `exit`, `sleep`, and the filters
//! `cat`, `grep`, `head`, `tail`, `wc -l`. Everything else goes to a [`Commands`] host (the
//! emulated Android commands) or fails with status 127 and mksh's message.

mod lexer;
mod text;

use lexer::{Part, Target, Token, tokenize};

/// What a command run produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    /// Bytes written to standard output.
    pub stdout: Vec<u8>,
    /// Bytes written to standard error.
    pub stderr: Vec<u8>,
    /// Both streams in the order they were written: (1 = stdout | 2 = stderr, bytes).
    pub chunks: Vec<(u8, Vec<u8>)>,
}

impl Output {
    /// Appends text to stdout.
    pub fn out(&mut self, s: &str) {
        self.stdout.extend_from_slice(s.as_bytes());
        self.push(1, s);
    }
    /// Appends text to stderr.
    pub fn err(&mut self, s: &str) {
        self.stderr.extend_from_slice(s.as_bytes());
        self.push(2, s);
    }
    fn push(&mut self, fd: u8, s: &str) {
        self.push_bytes(fd, s.as_bytes());
    }
    fn push_bytes(&mut self, fd: u8, b: &[u8]) {
        if b.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((f, bytes)) if *f == fd => bytes.extend_from_slice(b),
            _ => self.chunks.push((fd, b.to_vec())),
        }
    }
    /// Appends raw bytes to stream `fd` (1 or 2).
    pub fn write(&mut self, fd: u8, b: &[u8]) {
        if fd == 2 {
            self.stderr.extend_from_slice(b);
        } else {
            self.stdout.extend_from_slice(b);
        }
        self.push_bytes(if fd == 2 { 2 } else { 1 }, b);
    }
    /// Both streams interleaved in write order (what a terminal would show).
    pub fn combined(&self) -> Vec<u8> {
        self.chunks
            .iter()
            .flat_map(|(_, b)| b.iter().copied())
            .collect()
    }
}

/// The non-builtin commands a shell can run.
pub trait Commands {
    /// Runs `argv` (argv\[0\] is the name); `None` when no such command exists.
    fn run(&mut self, argv: &[String], out: &mut Output) -> Option<u8>;
}

/// The path the shell reports itself as in error messages.
pub const SHELL_PATH: &str = "/system/bin/sh";

/// Runs a command line; returns its output and exit status.
pub fn run_script(src: &str, host: &mut dyn Commands) -> (Output, u8) {
    let mut out = Output::default();
    let (status, _) = run_into(src, host, &mut out, 0);
    (out, status)
}

/// A simple command: words and redirections.
#[derive(Debug, Default)]
struct Simple {
    words: Vec<Vec<Part>>,
    redirs: Vec<(u8, Target)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Seq,
    And,
    Or,
}

/// An and-or list: pipelines joined by the operator that precedes each.
fn parse(toks: Vec<Token>) -> Result<Vec<(Op, Vec<Simple>)>, String> {
    let mut list: Vec<(Op, Vec<Simple>)> = Vec::new();
    let mut pipeline: Vec<Simple> = Vec::new();
    let mut cur = Simple::default();
    let mut op = Op::Seq;
    let mut pending_op: Option<&str> = None;
    let name = |t: &Token| match t {
        Token::And => "&&",
        Token::Or => "||",
        Token::Pipe => "|",
        _ => ";",
    };
    for t in toks {
        match t {
            Token::Word(w) => {
                cur.words.push(w);
                pending_op = None;
            }
            Token::Redir(fd, target) => {
                cur.redirs.push((fd, target));
                pending_op = None;
            }
            Token::Pipe | Token::And | Token::Or | Token::Seq => {
                let empty = cur.words.is_empty() && cur.redirs.is_empty();
                if empty && (t != Token::Seq || pending_op.is_some()) {
                    return Err(format!("'{}' unexpected", name(&t)));
                }
                if !empty {
                    pipeline.push(std::mem::take(&mut cur));
                }
                if t == Token::Pipe {
                    pending_op = Some("|");
                    continue;
                }
                if !pipeline.is_empty() {
                    list.push((op, std::mem::take(&mut pipeline)));
                }
                op = match t {
                    Token::And => Op::And,
                    Token::Or => Op::Or,
                    _ => Op::Seq,
                };
                pending_op = (t != Token::Seq).then(|| name(&t));
            }
        }
    }
    if !(cur.words.is_empty() && cur.redirs.is_empty()) {
        pipeline.push(cur);
    }
    if let Some(op) = pending_op {
        return Err(format!("'{op}' unexpected"));
    }
    if !pipeline.is_empty() {
        list.push((op, pipeline));
    }
    Ok(list)
}

/// Runs a command line, appending to `out`; `last` is the initial `$?`.
/// Returns the status and whether `exit` was run.
pub fn run_into(src: &str, host: &mut dyn Commands, out: &mut Output, last: u8) -> (u8, bool) {
    let list = match tokenize(src).map_err(|e| e.0).and_then(parse) {
        Ok(l) => l,
        Err(msg) => {
            out.err(&format!("{SHELL_PATH}: syntax error: {msg}\n"));
            return (1, false);
        }
    };
    let mut status = last;
    for (op, pipeline) in list {
        let run = match op {
            Op::Seq => true,
            Op::And => status == 0,
            Op::Or => status != 0,
        };
        if !run {
            continue;
        }
        match run_pipeline(&pipeline, status, host, out) {
            Flow::Continue(s) => status = s,
            Flow::Exit(s) => return (s, true),
        }
    }
    (status, false)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Out,
    Err,
    Null,
}

fn run_pipeline(
    pipeline: &[Simple],
    status: u8,
    host: &mut dyn Commands,
    out: &mut Output,
) -> Flow {
    let mut input: Vec<u8> = Vec::new();
    let mut flow = Flow::Continue(0);
    let n = pipeline.len();
    for (i, cmd) in pipeline.iter().enumerate() {
        let words: Vec<String> = cmd
            .words
            .iter()
            .map(|parts| {
                parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(s) => s.clone(),
                        Part::Status => status.to_string(),
                    })
                    .collect()
            })
            .collect();
        // Where fd 1 and fd 2 go, after applying redirections left to right.
        let mut map = [Dest::Out, Dest::Out, Dest::Err];
        let mut failed = false;
        for (fd, target) in &cmd.redirs {
            let fd = usize::from(*fd).min(2);
            map[fd] = match target {
                Target::Fd(t) => map[usize::from(*t).min(2)],
                Target::Path(p) if p == "/dev/null" => Dest::Null,
                Target::Path(p) => {
                    out.err(&format!(
                        "{SHELL_PATH}: can't create {p}: Read-only file system\n"
                    ));
                    failed = true;
                    break;
                }
            };
        }
        let mut cmd_out = Output::default();
        flow = if failed {
            Flow::Continue(1)
        } else if words.is_empty() {
            Flow::Continue(0)
        } else {
            run_command(&words, &input, host, &mut cmd_out)
        };
        let last = i + 1 == n;
        let mut piped = Vec::new();
        for (fd, bytes) in &cmd_out.chunks {
            match map[usize::from(*fd).min(2)] {
                Dest::Out if !last => piped.extend_from_slice(bytes),
                Dest::Out => out.write(1, bytes),
                Dest::Err => out.write(2, bytes),
                Dest::Null => {}
            }
        }
        input = piped;
        if let (Flow::Exit(s), false) = (&flow, last) {
            // `exit` inside a pipeline only ends that pipeline element.
            flow = Flow::Continue(*s);
        }
    }
    flow
}

enum Flow {
    Continue(u8),
    Exit(u8),
}

fn run_command(argv: &[String], input: &[u8], host: &mut dyn Commands, out: &mut Output) -> Flow {
    let name = argv[0].as_str();
    match name {
        "true" | ":" => Flow::Continue(0),
        "false" => Flow::Continue(1),
        // Variables are not expanded by this shell; `adb logcat` sets ANDROID_LOG_TAGS first.
        "export" => Flow::Continue(0),
        // The command replaces the shell: its status is the shell's.
        "exec" if argv.len() > 1 => match run_command(&argv[1..], input, host, out) {
            Flow::Continue(s) | Flow::Exit(s) => Flow::Exit(s),
        },
        "exec" => Flow::Continue(0),
        "echo" => {
            let mut args = &argv[1..];
            let mut newline = true;
            if args.first().map(String::as_str) == Some("-n") {
                newline = false;
                args = &args[1..];
            }
            out.out(&args.join(" "));
            if newline {
                out.out("\n");
            }
            Flow::Continue(0)
        }
        "exit" => match argv.get(1) {
            None => Flow::Exit(0),
            Some(a) => match a.parse::<i64>() {
                Ok(n) => Flow::Exit((n & 0xff) as u8),
                Err(_) => {
                    out.err(&format!("{SHELL_PATH}: exit: {a}: bad number\n"));
                    Flow::Exit(1)
                }
            },
        },
        "sleep" => match argv.get(1).and_then(|a| a.parse::<f64>().ok()) {
            Some(s) if (0.0..=60.0).contains(&s) => {
                std::thread::sleep(std::time::Duration::from_secs_f64(s));
                Flow::Continue(0)
            }
            _ => {
                out.err("sleep: invalid argument\n");
                Flow::Continue(1)
            }
        },
        _ => match text::run(argv, input, out).or_else(|| host.run(argv, out)) {
            Some(s) => Flow::Continue(s),
            None => {
                out.err(&format!(
                    "{SHELL_PATH}: {name}: inaccessible or not found\n"
                ));
                Flow::Continue(127)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Host;
    impl Commands for Host {
        fn run(&mut self, argv: &[String], out: &mut Output) -> Option<u8> {
            match argv[0].as_str() {
                "args" => {
                    for a in &argv[1..] {
                        out.out(&format!("<{a}>"));
                    }
                    out.out("\n");
                    Some(0)
                }
                "fail3" => Some(3),
                _ => None,
            }
        }
    }

    fn run(s: &str) -> (String, String, u8) {
        let (o, st) = run_script(s, &mut Host);
        (
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
            st,
        )
    }

    #[test]
    fn exec_replaces_the_shell_and_export_is_accepted() {
        // What `adb logcat -c` sends: the command after `exec` ends the script with its status.
        let (out, err, status) = run("export ANDROID_LOG_TAGS=\"\" ; exec fail3 ; echo after");
        assert_eq!((out.as_str(), err.as_str(), status), ("", "", 3));
        assert_eq!(run("exec args a b; echo after").0, "<a><b>\n");
    }

    #[test]
    fn quoting_follows_posix() {
        assert_eq!(run("args a 'b c' \"d e\" f\\ g").0, "<a><b c><d e><f g>\n");
        assert_eq!(run("args 'it'\\''s' '' x\"y\"z").0, "<it's><><xyz>\n");
        assert_eq!(run("args \"a\\\"b\\$c\\n\"").0, "<a\"b$c\\n>\n");
        assert_eq!(run("args '$?' \"$?\" $?").0, "<$?><0><0>\n");
    }

    #[test]
    fn separators_and_status() {
        assert_eq!(run("false; echo $?").0, "1\n");
        assert_eq!(run("fail3 ; echo :farend-rc:$?").0, ":farend-rc:3\n");
        assert_eq!(run("true && echo a || echo b").0, "a\n");
        assert_eq!(run("false && echo a || echo b").0, "b\n");
        assert_eq!(run("true || echo a && echo b").0, "b\n");
        assert_eq!(run("false && echo a").2, 1);
        assert_eq!(run("echo a\necho b # comment\n").0, "a\nb\n");
        assert_eq!(run("echo -n x; echo y").0, "xy\n");
    }

    #[test]
    fn exit_and_unknown_commands() {
        assert_eq!(run("exit 5; echo no"), (String::new(), String::new(), 5));
        assert_eq!(run("exit 300").2, 44);
        let (o, e, s) = run("nosuch arg; echo :farend-rc:$?");
        assert_eq!(o, ":farend-rc:127\n");
        assert_eq!(e, "/system/bin/sh: nosuch: inaccessible or not found\n");
        assert_eq!(s, 0);
    }

    #[test]
    fn pipes_and_redirections() {
        assert_eq!(run("args a b | grep a").0, "<a><b>\n");
        assert_eq!(run("echo x; echo y | grep y").0, "x\ny\n");
        assert_eq!(
            run("nosuch 2>/dev/null; echo $?"),
            ("127\n".into(), String::new(), 0)
        );
        assert_eq!(run("nosuch 2>&1 | grep -c found").0, "1\n");
        assert_eq!(run("echo out >&2").1, "out\n");
        assert_eq!(
            run("echo gone >/dev/null 2>&1"),
            (String::new(), String::new(), 0)
        );
        let (o, e, s) = run("echo x > /sdcard/f.txt");
        assert_eq!((o.as_str(), s), ("", 1));
        assert_eq!(
            e,
            "/system/bin/sh: can't create /sdcard/f.txt: Read-only file system\n"
        );
        assert_eq!(run("echo abc | grep -q zzz || echo none").0, "none\n");
        assert_eq!(run("exit 3 | echo still").0, "still\n");
    }

    #[test]
    fn syntax_errors_fail_without_running() {
        let (o, e, s) = run("echo a && ");
        assert_eq!((o.as_str(), s), ("", 1));
        assert!(e.contains("syntax error"), "{e}");
        assert_eq!(run("echo 'open").2, 1);
        assert_eq!(run("echo a |").2, 1);
        assert_eq!(run("| echo a").2, 1);
        assert_eq!(run("echo a && || echo b").2, 1);
        assert_eq!(run("").2, 0);
    }
}
