//! A small POSIX-like shell, enough for what farend and `adb shell` users send to a phone.
//!
//! Words are split as POSIX does with single quotes, double quotes and backslashes; `;`,
//! newlines, `&&` and `||` separate commands; `$?` expands to the last exit status; `#`
//! starts a comment. Builtins: `echo`, `true`, `false`, `exit`, `sleep`. Everything else
//! goes to a [`Commands`] host (the emulated Android commands) or fails with status 127.

/// What a command run produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    /// Bytes written to standard output.
    pub stdout: Vec<u8>,
    /// Bytes written to standard error.
    pub stderr: Vec<u8>,
}

impl Output {
    /// Appends text to stdout.
    pub fn out(&mut self, s: &str) {
        self.stdout.extend_from_slice(s.as_bytes());
    }
    /// Appends text to stderr.
    pub fn err(&mut self, s: &str) {
        self.stderr.extend_from_slice(s.as_bytes());
    }
}

/// The non-builtin commands a shell can run.
pub trait Commands {
    /// Runs `argv` (argv\[0\] is the name); `None` when no such command exists.
    fn run(&mut self, argv: &[String], out: &mut Output) -> Option<u8>;
}

/// The path the shell reports itself as in error messages.
pub const SHELL_PATH: &str = "/system/bin/sh";

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Status,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(Vec<Part>),
    Seq,
    And,
    Or,
}

#[derive(Debug, PartialEq)]
struct SyntaxError(String);

fn tokenize(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut toks = Vec::new();
    let mut chars = src.chars().peekable();
    let mut parts: Vec<Part> = Vec::new();
    let mut lit = String::new();
    let mut in_word = false;

    fn flush(parts: &mut Vec<Part>, lit: &mut String) {
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(lit)));
        }
    }
    fn end_word(toks: &mut Vec<Token>, parts: &mut Vec<Part>, lit: &mut String, in_word: &mut bool) {
        flush(parts, lit);
        if *in_word {
            toks.push(Token::Word(std::mem::take(parts)));
        }
        *in_word = false;
    }

    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => end_word(&mut toks, &mut parts, &mut lit, &mut in_word),
            '\n' | ';' => {
                end_word(&mut toks, &mut parts, &mut lit, &mut in_word);
                toks.push(Token::Seq);
            }
            '&' | '|' => {
                end_word(&mut toks, &mut parts, &mut lit, &mut in_word);
                if chars.peek() == Some(&c) {
                    chars.next();
                    toks.push(if c == '&' { Token::And } else { Token::Or });
                } else {
                    return Err(SyntaxError(format!("'{c}' unsupported")));
                }
            }
            '<' | '>' | '(' | ')' | '`' => {
                return Err(SyntaxError(format!("'{c}' unsupported")));
            }
            '#' if !in_word => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        toks.push(Token::Seq);
                        break;
                    }
                }
            }
            '\'' => {
                in_word = true;
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '\'' {
                        closed = true;
                        break;
                    }
                    lit.push(c);
                }
                if !closed {
                    return Err(SyntaxError("unterminated quoted string".into()));
                }
            }
            '"' => {
                in_word = true;
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.peek() {
                            Some(&n @ ('$' | '`' | '"' | '\\')) => {
                                chars.next();
                                lit.push(n);
                            }
                            Some('\n') => {
                                chars.next();
                            }
                            _ => lit.push('\\'),
                        },
                        '$' if chars.peek() == Some(&'?') => {
                            chars.next();
                            flush(&mut parts, &mut lit);
                            parts.push(Part::Status);
                        }
                        c => lit.push(c),
                    }
                }
                if !closed {
                    return Err(SyntaxError("unterminated quoted string".into()));
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(n) => lit.push(n),
                }
            }
            '$' if chars.peek() == Some(&'?') => {
                chars.next();
                in_word = true;
                flush(&mut parts, &mut lit);
                parts.push(Part::Status);
            }
            c => {
                in_word = true;
                lit.push(c);
            }
        }
    }
    end_word(&mut toks, &mut parts, &mut lit, &mut in_word);
    Ok(toks)
}

/// Runs a command line; returns its output and exit status.
pub fn run_script(src: &str, host: &mut dyn Commands) -> (Output, u8) {
    let mut out = Output::default();
    let status = run_into(src, host, &mut out, 0);
    (out, status)
}

/// Runs a command line, appending to `out`; `last` is the initial `$?`. Returns the status.
pub fn run_into(src: &str, host: &mut dyn Commands, out: &mut Output, last: u8) -> u8 {
    let toks = match tokenize(src) {
        Ok(t) => t,
        Err(SyntaxError(msg)) => {
            out.err(&format!("{SHELL_PATH}: syntax error: {msg}\n"));
            return 1;
        }
    };
    // Validate operator placement first, as a shell parses before it runs.
    let mut prev_word = false;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Token::Word(_) => prev_word = true,
            Token::Seq => prev_word = false,
            Token::And | Token::Or => {
                let next_ok = toks[i + 1..].iter().any(|t| matches!(t, Token::Word(_)));
                if !prev_word || !next_ok {
                    let op = if *t == Token::And { "&&" } else { "||" };
                    out.err(&format!("{SHELL_PATH}: syntax error: '{op}' unexpected\n"));
                    return 1;
                }
                prev_word = false;
            }
        }
    }

    let mut status = last;
    let mut skip = false;
    let mut argv: Vec<Vec<Part>> = Vec::new();
    let mut iter = toks.into_iter().peekable();
    loop {
        let tok = iter.next();
        match tok {
            Some(Token::Word(w)) => {
                argv.push(w);
                continue;
            }
            _ => {
                if !argv.is_empty() && !skip {
                    let words: Vec<String> = argv
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
                    match run_command(&words, host, out) {
                        Flow::Continue(s) => status = s,
                        Flow::Exit(s) => return s,
                    }
                }
                argv.clear();
                match tok {
                    None => return status,
                    Some(Token::And) => skip = status != 0,
                    Some(Token::Or) => skip = status == 0,
                    _ => skip = false,
                }
            }
        }
    }
}

enum Flow {
    Continue(u8),
    Exit(u8),
}

fn run_command(argv: &[String], host: &mut dyn Commands, out: &mut Output) -> Flow {
    let name = argv[0].as_str();
    match name {
        "true" | ":" => Flow::Continue(0),
        "false" => Flow::Continue(1),
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
        _ => match host.run(argv, out) {
            Some(s) => Flow::Continue(s),
            None => {
                out.err(&format!("{SHELL_PATH}: {name}: inaccessible or not found\n"));
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
    fn syntax_errors_fail_without_running() {
        let (o, e, s) = run("echo a && ");
        assert_eq!((o.as_str(), s), ("", 1));
        assert!(e.contains("syntax error"), "{e}");
        assert_eq!(run("echo 'open").2, 1);
        assert_eq!(run("echo a | cat").2, 1);
        assert_eq!(run("").2, 0);
    }
}
