//! File diagnostics that point at a line and column, for catalog, consent-rule and policy files.

use std::fmt;
use std::ops::Range;

/// One problem in a user-supplied file, located by line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending source line and the width of the span on it, for the caret underline.
    source_line: String,
    width: usize,
}

impl Diagnostic {
    /// A diagnostic for the byte range `span` of `text`, the contents of `file`.
    pub fn at(file: &str, text: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(text, span.end.clamp(start, line_end));
        let width = text[start..end].chars().count().max(1);
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            source_line: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            width,
        }
    }

    /// A diagnostic about the whole file (no position is known).
    pub fn whole_file(file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: message.into(),
            source_line: String::new(),
            width: 0,
        }
    }

    /// The diagnostic for a TOML syntax or schema error, at the span the parser reports.
    pub fn from_toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let message = err.message().trim().to_string();
        match err.span() {
            Some(span) => Diagnostic::at(file, text, span, message),
            None => Diagnostic::whole_file(file, message),
        }
    }
}

/// A character as shown in a diagnostic: control characters escaped, the rest as is.
fn visible(c: char) -> String {
    if c.is_control() {
        c.escape_default().collect()
    } else {
        c.to_string()
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        write!(f, "  --> {}:{}:{}", self.file, self.line, self.column)?;
        if self.width > 0 {
            let gutter = self.line.to_string().len();
            // Control characters would garble the terminal; show them escaped.
            let shown: String = self.source_line.chars().map(visible).collect();
            let width = |c: char| visible(c).chars().count();
            let col: usize = self
                .source_line
                .chars()
                .take(self.column - 1)
                .map(width)
                .sum();
            let w: usize = self
                .source_line
                .chars()
                .skip(self.column - 1)
                .take(self.width)
                .map(width)
                .sum();
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {}{}",
                "",
                self.line,
                shown,
                "",
                " ".repeat(col),
                "^".repeat(w.max(1))
            )?;
        }
        Ok(())
    }
}

/// One or more diagnostics: the error a file check returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let text = "a = 1\nname = \"x{\"\n";
        let d = Diagnostic::at("f.toml", text, 13..16, "bad pattern");
        assert_eq!((d.line, d.column), (2, 8));
        let shown = d.to_string();
        assert!(shown.contains("f.toml:2:8"), "{shown}");
        assert!(shown.contains("2 | name = \"x{\""), "{shown}");
        assert!(shown.contains("|        ^^^"), "{shown}");
    }

    #[test]
    fn toml_errors_carry_positions() {
        let text = "[vendor]\nid = \n";
        let err = toml::from_str::<toml::Table>(text).unwrap_err();
        let d = Diagnostic::from_toml("c.toml", text, &err);
        assert_eq!(d.line, 2);
        assert!(d.column >= 5, "{d}");
    }

    #[test]
    fn control_characters_are_escaped() {
        let text = "name = \"a\u{1b}[31m\"";
        let d = Diagnostic::at("f.toml", text, 7..8, "bad");
        assert!(!d.to_string().contains('\u{1b}'));
    }
}
