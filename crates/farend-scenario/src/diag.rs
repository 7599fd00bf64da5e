//! Source locations, diagnostics and the error type of this crate.

use std::fmt;
use std::path::PathBuf;

/// A 1-based line and column in a YAML file (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column number, in characters.
    pub column: usize,
}

impl Location {
    /// Creates a location from a 1-based line and column.
    pub const fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One problem found in a file, pointing at the place that caused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is wrong, in words a test engineer understands.
    pub message: String,
    /// The offending source lines with a caret under the column, when the source is known.
    pub snippet: Option<String>,
}

impl Diagnostic {
    /// Creates a diagnostic without a snippet.
    pub fn new(
        file: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            column,
            message: message.into(),
            snippet: None,
        }
    }

    /// The location this diagnostic points at.
    pub fn location(&self) -> Location {
        Location::new(self.line, self.column)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Why a scenario or lab file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid scenario or lab file.
    #[error("{}", render_diagnostics(diagnostics))]
    Invalid {
        /// Every problem found, in file order.
        diagnostics: Vec<Diagnostic>,
    },
}

impl LoadError {
    /// The diagnostics of an `Invalid` error (empty for I/O errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LoadError::Invalid { diagnostics } => diagnostics,
            LoadError::Io { .. } => &[],
        }
    }
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.to_string());
        if let Some(snippet) = &d.snippet {
            for line in snippet.lines() {
                out.push_str("\n    ");
                out.push_str(line);
            }
        }
    }
    out
}

/// Collects diagnostics for one source file.
pub(crate) struct Collector<'a> {
    file: PathBuf,
    source: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(file: PathBuf, source: &'a str) -> Self {
        Self {
            file,
            source,
            diagnostics: Vec::new(),
        }
    }

    /// Records a problem at `loc`.
    pub(crate) fn error(&mut self, loc: Location, message: impl Into<String>) {
        let loc = if loc.line == 0 {
            Location::new(1, 1)
        } else {
            loc
        };
        let mut d = Diagnostic::new(self.file.clone(), loc.line, loc.column.max(1), message);
        d.snippet = snippet(self.source, loc);
        self.diagnostics.push(d);
    }

    /// An empty collector for the same file (to look at a group of diagnostics before keeping them).
    pub(crate) fn fresh(&self) -> Collector<'a> {
        Collector::new(self.file.clone(), self.source)
    }

    /// Takes the diagnostics collected so far, in the order they were found.
    pub(crate) fn take(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// Keeps a diagnostic made elsewhere (by a [`Collector::fresh`] one).
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    pub(crate) fn is_clean(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// Finishes collecting: diagnostics sorted by position (stable for equal positions).
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics.sort_by_key(|d| (d.line, d.column));
        self.diagnostics
    }
}

/// The line before `loc` (if any), the line of `loc` and a caret under its column.
pub(crate) fn snippet(source: &str, loc: Location) -> Option<String> {
    let lines: Vec<&str> = source.lines().collect();
    let idx = loc.line.checked_sub(1)?;
    let line = lines.get(idx)?;
    let width = (loc.line).to_string().len();
    let mut out = String::new();
    if idx > 0
        && let Some(prev) = lines.get(idx - 1)
    {
        out.push_str(&format!("{:>width$} | {}\n", idx, visible(prev)));
    }
    out.push_str(&format!("{:>width$} | {}\n", loc.line, visible(line)));
    let caret_pad: String = line
        .chars()
        .take(loc.column.saturating_sub(1))
        .map(|_| ' ')
        .collect();
    out.push_str(&format!("{:>width$} | {}^", "", caret_pad));
    Some(out)
}

/// Shows tabs as `→` so they are visible in a snippet.
fn visible(line: &str) -> String {
    line.replace('\t', "→")
}
