//! Shell quoting (checked against a real POSIX shell), numbers and call state names.

use std::process::Command;

use farend_device::{CallState, MAX_NUMBER_LEN, Number, NumberError, command_line, quote};

/// What `sh` makes of the quoted word: it must be the original, byte for byte, as one word.
fn through_sh(arg: &str) -> Vec<u8> {
    let script = format!("set -- {}; printf '%s|%s' \"$#\" \"$1\"", quote(arg));
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "sh failed for {arg:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const HOSTILE: &[&str] = &[
    "",
    " ",
    "a b",
    "it's",
    "'",
    "''",
    "\"",
    "a\"b'c",
    "$(touch /tmp/farend-pwned)",
    "`touch /tmp/farend-pwned`",
    "${HOME}",
    "$HOME",
    "a;b",
    "; rm -rf /",
    "a && b || c",
    "line1\nline2",
    "\n",
    "tab\there",
    "back\\slash",
    "glob*?[x]",
    "#comment",
    "~",
    "a|b>c<d&",
    "'\\''",
    "!event",
    "{a,b}",
    "ünïcødé ☎",
];

#[test]
fn hostile_strings_survive_a_real_shell() {
    for arg in HOSTILE {
        assert_eq!(
            through_sh(arg),
            format!("1|{arg}").into_bytes(),
            "argument {arg:?}"
        );
    }
    assert!(!std::path::Path::new("/tmp/farend-pwned").exists());
}

#[test]
fn plain_words_stay_unquoted() {
    for word in [
        "getprop",
        "KEYCODE_CALL",
        "tel:+421900000001",
        "tel:%23123",
        "-a",
        "a.b/c=d,e@f",
    ] {
        assert!(
            matches!(quote(word), std::borrow::Cow::Borrowed(w) if w == word),
            "{word}"
        );
    }
    assert_eq!(quote(""), "''");
    assert_eq!(quote("it's"), "'it'\\''s'");
    assert_eq!(quote("*100#"), "'*100#'");
    assert_eq!(
        command_line(&["am", "start", "-d", "tel:*100%23", "x y"]),
        "am start -d 'tel:*100%23' 'x y'"
    );
}

#[test]
fn command_line_splits_back_into_the_same_argv() {
    let line = command_line(HOSTILE);
    let script = format!("set -- {line}; for a in \"$@\"; do printf '%s\\0' \"$a\"; done");
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("run sh");
    let words: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
    assert_eq!(words.len(), HOSTILE.len() + 1);
    for (word, arg) in words.iter().zip(HOSTILE) {
        assert_eq!(*word, arg.as_bytes());
    }
}

#[test]
fn numbers() {
    for ok in [
        "+421900000001",
        "0900123456",
        "*100#",
        "#31#0900123456",
        "1",
        "+1",
        "*",
        "#",
    ] {
        let n: Number = ok.parse().unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(n.as_str(), ok);
        assert_eq!(n.to_string(), ok);
    }
    let max = "1".repeat(MAX_NUMBER_LEN);
    assert!(max.parse::<Number>().is_ok());
    assert_eq!(
        format!("+{}", "1".repeat(31))
            .parse::<Number>()
            .map(|n| n.as_str().len()),
        Ok(32)
    );
    assert_eq!(
        "1".repeat(MAX_NUMBER_LEN + 1).parse::<Number>(),
        Err(NumberError::TooLong { len: 33 })
    );
    assert_eq!("".parse::<Number>(), Err(NumberError::Empty));
    assert_eq!("+".parse::<Number>(), Err(NumberError::Empty));
    assert_eq!(
        "12+3".parse::<Number>(),
        Err(NumberError::BadCharacter {
            ch: '+',
            position: 2
        })
    );
    assert_eq!(
        "++1".parse::<Number>(),
        Err(NumberError::BadCharacter {
            ch: '+',
            position: 1
        })
    );
    assert_eq!(
        " 123".parse::<Number>(),
        Err(NumberError::BadCharacter {
            ch: ' ',
            position: 0
        })
    );
    assert_eq!(
        "0900 123".parse::<Number>(),
        Err(NumberError::BadCharacter {
            ch: ' ',
            position: 4
        })
    );
    assert_eq!(
        "123;reboot".parse::<Number>(),
        Err(NumberError::BadCharacter {
            ch: ';',
            position: 3
        })
    );
    assert_eq!(
        "12a".parse::<Number>(),
        Err(NumberError::BadCharacter {
            ch: 'a',
            position: 2
        })
    );
    assert_eq!(
        "1-2".parse::<Number>(),
        Err(NumberError::BadCharacter {
            ch: '-',
            position: 1
        })
    );
    assert_eq!(
        "١٢".parse::<Number>(),
        Err(NumberError::BadCharacter {
            ch: '١',
            position: 0
        })
    );
}

#[test]
fn tel_uri_encodes_hash() {
    let n: Number = "*#06#".parse().expect("valid");
    assert_eq!(n.tel_uri(), "tel:*%2306%23");
    let n: Number = "+421900000001".parse().expect("valid");
    assert_eq!(n.tel_uri(), "tel:+421900000001");
}

#[test]
fn number_serde_validates() {
    let n: Number = serde_json::from_str("\"+421900000001\"").expect("valid");
    assert_eq!(n.as_str(), "+421900000001");
    assert!(serde_json::from_str::<Number>("\"12 34\"").is_err());
    assert_eq!(
        serde_json::to_string(&n).expect("serialises"),
        "\"+421900000001\""
    );
}

#[test]
fn call_state_names() {
    for s in [CallState::Idle, CallState::Ringing, CallState::Offhook] {
        assert_eq!(s.to_string().parse::<CallState>(), Ok(s));
        assert_eq!(CallState::from_android(s.android_value()), Some(s));
    }
    assert_eq!("OFFHOOK".parse::<CallState>(), Ok(CallState::Offhook));
    assert!("busy".parse::<CallState>().is_err());
    assert_eq!(CallState::from_android(3), None);
    assert_eq!(
        CallState::Idle.most_active(CallState::Ringing),
        CallState::Ringing
    );
    assert_eq!(
        CallState::Offhook.most_active(CallState::Ringing),
        CallState::Offhook
    );
}
