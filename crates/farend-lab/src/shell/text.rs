//! Text filters for pipelines, as toybox provides them: `cat`, `grep`, `head`, `tail`, `wc`.

use super::Output;

/// Runs a text filter on `input`; `None` if `argv[0]` is not one.
pub fn run(argv: &[String], input: &[u8], out: &mut Output) -> Option<u8> {
    let text = String::from_utf8_lossy(input);
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    Some(match argv[0].as_str() {
        "cat" => {
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
    let fold = |s: &str| {
        if icase {
            s.to_lowercase()
        } else {
            s.to_string()
        }
    };
    let pattern = fold(pattern);
    let alternatives: Vec<String> = if fixed {
        vec![pattern]
    } else if extended {
        pattern.split('|').map(str::to_string).collect()
    } else {
        pattern.split("\\|").map(str::to_string).collect()
    };
    let mut hits = 0;
    for line in text.lines() {
        let l = fold(line);
        let m = alternatives.iter().any(|p| {
            if fixed {
                l.contains(p.as_str())
            } else {
                matches(p, &l)
            }
        });
        if m != invert {
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

/// Minimal regular expressions: literals, `.`, `*`, `^`, `$`, `\` escapes.
pub fn matches(re: &str, text: &str) -> bool {
    let re: Vec<char> = re.chars().collect();
    let text: Vec<char> = text.chars().collect();
    if re.first() == Some(&'^') {
        return match_here(&re[1..], &text);
    }
    (0..=text.len()).any(|i| match_here(&re, &text[i..]))
}

fn atom(re: &[char]) -> Option<(Option<char>, usize)> {
    // (Some(c) literal / None any, length in pattern)
    match re.first()? {
        '.' => Some((None, 1)),
        '\\' => Some((Some(*re.get(1)?), 2)),
        c => Some((Some(*c), 1)),
    }
}

fn match_here(re: &[char], text: &[char]) -> bool {
    if re.is_empty() {
        return true;
    }
    if re == ['$'] {
        return text.is_empty();
    }
    let Some((a, len)) = atom(re) else {
        return false;
    };
    let hit = |c: char| a.is_none_or(|x| x == c);
    if re.get(len) == Some(&'*') {
        let rest = &re[len + 1..];
        let mut i = 0;
        loop {
            if match_here(rest, &text[i..]) {
                return true;
            }
            if i < text.len() && hit(text[i]) {
                i += 1;
            } else {
                return false;
            }
        }
    }
    !text.is_empty() && hit(text[0]) && match_here(&re[len..], &text[1..])
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
