//! Text filters for pipelines, as toybox provides them: `cat`, `grep`, `head`, `tail`, `wc`.

use super::Output;

/// Runs a text filter on `input`; `None` if `argv[0]` is not one.
pub fn run(argv: &[String], input: &[u8], out: &mut Output) -> Option<u8> {
    let text = String::from_utf8_lossy(input);
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    Some(match argv[0].as_str() {
        // `cat FILE` reads the handset's files: the host's business.
        "cat" if args.is_empty() || args == ["-"] => {
            out.out(&text);
            0
        }
        "grep" => grep(&args, &text, out),
        "head" | "tail" => {
            let n = count_arg(&args).unwrap_or(10);
            let lines: Vec<&str> = text.lines().collect();
            let pick = if argv[0] == "head" {
                &lines[..n.min(lines.len())]
            } else {
                &lines[lines.len().saturating_sub(n)..]
            };
            for l in pick {
                out.out(&format!("{l}\n"));
            }
            0
        }
        "wc" if args.first() == Some(&"-l") => {
            out.out(&format!("{}\n", text.lines().count()));
            0
        }
        _ => return None,
    })
}

fn count_arg(args: &[&str]) -> Option<usize> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == "-n" {
            return it.next().and_then(|n| n.parse().ok());
        }
        if let Some(n) = a.strip_prefix("-n").or_else(|| a.strip_prefix('-')) {
            return n.parse().ok();
        }
    }
    None
}

fn grep(args: &[&str], text: &str, out: &mut Output) -> u8 {
    let (mut invert, mut count, mut quiet, mut icase, mut extended, mut fixed) =
        (false, false, false, false, false, false);
    let mut pattern = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "-e" => pattern = it.next().copied(),
            s if s.starts_with('-') && s.len() > 1 && pattern.is_none() => {
                for f in s[1..].chars() {
                    match f {
                        'v' => invert = true,
                        'c' => count = true,
                        'q' => quiet = true,
                        'i' => icase = true,
                        'E' => extended = true,
                        'F' => fixed = true,
                        _ => {}
                    }
                }
            }
            s if pattern.is_none() => pattern = Some(s),
            _ => {}
        }
    }
    let Some(pattern) = pattern else {
        out.err("usage: grep [-EFicqv] PATTERN\n");
        return 2;
    };
    let matcher = match line_matcher(pattern, icase, extended, fixed) {
        Ok(m) => m,
        Err(e) => {
            out.err(&format!("grep: bad regex '{pattern}': {e}\n"));
            return 2;
        }
    };
    let mut hits = 0;
    for line in text.lines() {
        if matcher.is_match(line) != invert {
            hits += 1;
            if !count && !quiet {
                out.out(&format!("{line}\n"));
            }
        }
    }
    if count {
        out.out(&format!("{hits}\n"));
    }
    if hits > 0 { 0 } else { 1 }
}

/// Largest compiled pattern: a host cannot make the handset hold more for one `grep`.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// The matcher of a `grep` pattern: fixed text (`-F`), an extended expression (`-E`) or a
/// basic one. Matching is by the `regex` crate, in time linear in the line, whatever the
/// pattern.
fn line_matcher(
    pattern: &str,
    icase: bool,
    extended: bool,
    fixed: bool,
) -> Result<regex::Regex, regex::Error> {
    let expression = if fixed {
        regex::escape(pattern)
    } else if extended {
        pattern.to_string()
    } else {
        basic_to_extended(pattern)
    };
    regex::RegexBuilder::new(&expression)
        .case_insensitive(icase)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
}

/// A POSIX basic expression in extended syntax: `\(`, `\)`, `\{`, `\}`, `\|`, `\+`, `\?`
/// are the operators and the same characters without `\` are literals.
fn basic_to_extended(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(op @ ('(' | ')' | '{' | '}' | '|' | '+' | '?')) => out.push(op),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_s(args: &[&str], input: &str) -> (String, u8) {
        let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut o = Output::default();
        let st = run(&argv, input.as_bytes(), &mut o).unwrap();
        (String::from_utf8(o.stdout).unwrap(), st)
    }

    #[test]
    fn grep_takes_basic_and_extended_expressions_and_refuses_bad_ones() {
        let t = "a(1)\nb+2\nab\n";
        assert_eq!(run_s(&["grep", "a\\|b+"], t).0, "a(1)\nb+2\nab\n");
        assert_eq!(run_s(&["grep", "a(1)"], t).0, "a(1)\n");
        assert_eq!(run_s(&["grep", "-E", "^b\\+"], t).0, "b+2\n");
        assert_eq!(run_s(&["grep", "-E", "^(ab|b\\+)"], t).0, "b+2\nab\n");
        assert_eq!(run_s(&["grep", "-F", "b+2"], t).0, "b+2\n");
        assert_eq!(run_s(&["grep", "-E", "a("], t).1, 2);
    }

    #[test]
    fn grep_time_does_not_explode_on_a_nested_star() {
        // A backtracking matcher takes exponential time here; the handset must answer.
        let line = format!("{}c\n", "a".repeat(5000));
        assert_eq!(run_s(&["grep", "-E", "(a*)*b"], &line).1, 1);
        assert_eq!(run_s(&["grep", "-c", "a*a*a*a*a*a*a*a*b"], &line).0, "0\n");
    }

    #[test]
    fn grep_head_tail_wc() {
        let t = "  mCallState=0\n  mRingingCallState=0\nother\n  mCallState=2\n";
        assert_eq!(
            run_s(&["grep", "mCallState"], t).0,
            "  mCallState=0\n  mCallState=2\n"
        );
        assert_eq!(run_s(&["grep", "-c", "^  mCall"], t).0, "2\n");
        assert_eq!(
            run_s(&["grep", "-E", "Ringing|other"], t).0,
            "  mRingingCallState=0\nother\n"
        );
        assert_eq!(run_s(&["grep", "-v", "State"], t).0, "other\n");
        assert_eq!(run_s(&["grep", "-i", "OTHER$"], t).0, "other\n");
        assert_eq!(run_s(&["grep", "nothing"], t).1, 1);
        assert_eq!(run_s(&["grep", "State=.*2"], t).0, "  mCallState=2\n");
        assert_eq!(run_s(&["head", "-n", "1"], t).0, "  mCallState=0\n");
        assert_eq!(run_s(&["tail", "-1"], t).0, "  mCallState=2\n");
        assert_eq!(run_s(&["wc", "-l"], t).0, "4\n");
    }
}
