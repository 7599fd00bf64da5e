//! Splits a command line into words and operators, POSIX style.

/// A piece of a word: literal text, or `$?` (expanded when the command runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Lit(String),
    /// `$?`.
    Status,
}

/// Where a redirection sends a file descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `N>&M`: to whatever descriptor M currently goes to.
    Fd(u8),
    /// `N>PATH`.
    Path(String),
}

/// One lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A word, made of parts.
    Word(Vec<Part>),
    /// `;` or newline.
    Seq,
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// `|`.
    Pipe,
    /// `N>TARGET` (also `>>`).
    Redir(u8, Target),
}

/// A syntax error, with the shell's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError(pub String);

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    toks: Vec<Token>,
    parts: Vec<Part>,
    lit: String,
    in_word: bool,
    quoted: bool,
}

impl Lexer<'_> {
    fn flush(&mut self) {
        if !self.lit.is_empty() {
            self.parts.push(Part::Lit(std::mem::take(&mut self.lit)));
        }
    }

    fn end_word(&mut self) {
        self.flush();
        if self.in_word {
            self.toks.push(Token::Word(std::mem::take(&mut self.parts)));
        }
        self.in_word = false;
        self.quoted = false;
    }

    fn redirect(&mut self) -> Result<(), SyntaxError> {
        // `2>`: a word made only of unquoted digits right before `>` is the descriptor.
        let fd = if self.in_word && !self.quoted && self.parts.is_empty() && self.lit.len() == 1 {
            self.lit.parse::<u8>().ok()
        } else {
            None
        };
        if fd.is_some() {
            self.lit.clear();
            self.in_word = false;
        } else {
            self.end_word();
        }
        let fd = fd.unwrap_or(1);
        if self.chars.peek() == Some(&'>') {
            self.chars.next();
        }
        if self.chars.peek() == Some(&'&') {
            self.chars.next();
            return match self.chars.next() {
                Some(d @ ('1' | '2')) => {
                    self.toks.push(Token::Redir(fd, Target::Fd(d as u8 - b'0')));
                    Ok(())
                }
                _ => Err(SyntaxError("bad redirection".into())),
            };
        }
        while matches!(self.chars.peek(), Some(' ' | '\t')) {
            self.chars.next();
        }
        let mut path = String::new();
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() || ";&|<>()".contains(c) {
                break;
            }
            path.push(c);
            self.chars.next();
        }
        if path.is_empty() {
            return Err(SyntaxError("unexpected end of redirection".into()));
        }
        self.toks.push(Token::Redir(fd, Target::Path(path)));
        Ok(())
    }

    fn single_quoted(&mut self) -> Result<(), SyntaxError> {
        self.in_word = true;
        self.quoted = true;
        for c in self.chars.by_ref() {
            if c == '\'' {
                return Ok(());
            }
            self.lit.push(c);
        }
        Err(SyntaxError("unterminated quoted string".into()))
    }

    fn double_quoted(&mut self) -> Result<(), SyntaxError> {
        self.in_word = true;
        self.quoted = true;
        while let Some(c) = self.chars.next() {
            match c {
                '"' => return Ok(()),
                '\\' => match self.chars.peek() {
                    Some(&n @ ('$' | '`' | '"' | '\\')) => {
                        self.chars.next();
                        self.lit.push(n);
                    }
                    Some('\n') => {
                        self.chars.next();
                    }
                    _ => self.lit.push('\\'),
                },
                '$' if self.chars.peek() == Some(&'?') => {
                    self.chars.next();
                    self.flush();
                    self.parts.push(Part::Status);
                }
                c => self.lit.push(c),
            }
        }
        Err(SyntaxError("unterminated quoted string".into()))
    }
}

/// Splits a command line into tokens.
pub fn tokenize(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut lx = Lexer {
        chars: src.chars().peekable(),
        toks: Vec::new(),
        parts: Vec::new(),
        lit: String::new(),
        in_word: false,
        quoted: false,
    };
    while let Some(c) = lx.chars.next() {
        match c {
            ' ' | '\t' | '\r' => lx.end_word(),
            '\n' | ';' => {
                lx.end_word();
                lx.toks.push(Token::Seq);
            }
            '&' => {
                lx.end_word();
                if lx.chars.next_if_eq(&'&').is_none() {
                    return Err(SyntaxError("'&' unsupported".into()));
                }
                lx.toks.push(Token::And);
            }
            '|' => {
                lx.end_word();
                let tok = if lx.chars.next_if_eq(&'|').is_some() {
                    Token::Or
                } else {
                    Token::Pipe
                };
                lx.toks.push(tok);
            }
            '>' => lx.redirect()?,
            '<' | '(' | ')' | '`' => return Err(SyntaxError(format!("'{c}' unsupported"))),
            '#' if !lx.in_word => {
                for c in lx.chars.by_ref() {
                    if c == '\n' {
                        lx.toks.push(Token::Seq);
                        break;
                    }
                }
            }
            '\'' => lx.single_quoted()?,
            '"' => lx.double_quoted()?,
            '\\' => {
                lx.in_word = true;
                lx.quoted = true;
                match lx.chars.next() {
                    Some('\n') | None => {}
                    Some(n) => lx.lit.push(n),
                }
            }
            '$' if lx.chars.peek() == Some(&'?') => {
                lx.chars.next();
                lx.in_word = true;
                lx.flush();
                lx.parts.push(Part::Status);
            }
            c => {
                lx.in_word = true;
                lx.lit.push(c);
            }
        }
    }
    lx.end_word();
    Ok(lx.toks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Token {
        Token::Word(vec![Part::Lit(s.into())])
    }

    #[test]
    fn redirections_and_pipes() {
        let t = tokenize("a 2>/dev/null|b >&2 2>&1 '2'>x").unwrap();
        assert_eq!(
            t,
            vec![
                lit("a"),
                Token::Redir(2, Target::Path("/dev/null".into())),
                Token::Pipe,
                lit("b"),
                Token::Redir(1, Target::Fd(2)),
                Token::Redir(2, Target::Fd(1)),
                lit("2"),
                Token::Redir(1, Target::Path("x".into())),
            ]
        );
        assert!(tokenize("a >").is_err());
        assert!(tokenize("a & b").is_err());
    }
}
