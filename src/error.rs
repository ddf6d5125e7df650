//! The library's error: what went wrong, and which documented exit code that means.
//!
//! Every error says its [`ErrorKind`] where it is made: the layer that meets the failure knows
//! whether it was the user's input, the browser, the site, the history store, the reports being
//! written, or a bug. The binary's exit code is [`ErrorKind::exit`] of it: input errors are 2,
//! everything else that stops a run is 3.

use crate::diagnostic::Diagnostics;
use crate::exit::Exit;
use std::fmt;
use std::path::Path;

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A mistake in what the user gave: a flag, a URL, a file that is missing, unreadable or
    /// malformed (exit code 2). The message names the flag or file.
    Input,
    /// The browser: none found, it would not start or connect, it crashed or stopped answering
    /// (exit code 3).
    Browser,
    /// The site: unreachable, an HTTP error, a page that crashed (exit code 3).
    Site,
    /// The scan history: its database cannot be opened, read or written (exit code 3).
    Store,
    /// The reports: a file or directory that cannot be written (exit code 3).
    Output,
    /// A fault in chatcookie itself, such as embedded data that does not parse (exit code 3).
    Internal,
}

impl ErrorKind {
    /// The documented exit code of this kind of error.
    pub fn exit(self) -> Exit {
        match self {
            ErrorKind::Input => Exit::Usage,
            ErrorKind::Browser
            | ErrorKind::Site
            | ErrorKind::Store
            | ErrorKind::Output
            | ErrorKind::Internal => Exit::ScanFailed,
        }
    }
}

/// An error with its kind; its message is the whole chain of causes.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    inner: anyhow::Error,
}

/// A result whose error is the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind`, caused by `e`.
    pub fn new(kind: ErrorKind, e: impl Into<anyhow::Error>) -> Error {
        Error {
            kind,
            inner: e.into(),
        }
    }

    /// An input error: a mistake in what the user gave.
    pub fn input(e: impl Into<anyhow::Error>) -> Error {
        Error::new(ErrorKind::Input, e)
    }

    /// An input error with this message.
    pub fn usage(message: impl fmt::Display) -> Error {
        Error::input(anyhow::anyhow!("{message}"))
    }

    /// The browser failed: none found, not started, crashed or not answering.
    pub fn browser(e: impl Into<anyhow::Error>) -> Error {
        Error::new(ErrorKind::Browser, e)
    }

    /// The site failed: unreachable, an HTTP error, a crashed page.
    pub fn site(e: impl Into<anyhow::Error>) -> Error {
        Error::new(ErrorKind::Site, e)
    }

    /// The scan history failed.
    pub fn store(e: impl Into<anyhow::Error>) -> Error {
        Error::new(ErrorKind::Store, e)
    }

    /// A report could not be written.
    pub fn output(e: impl Into<anyhow::Error>) -> Error {
        Error::new(ErrorKind::Output, e)
    }

    /// A fault in chatcookie itself.
    pub fn internal(e: impl Into<anyhow::Error>) -> Error {
        Error::new(ErrorKind::Internal, e)
    }

    /// An error at a layer's edge: of the `kind` that layer says, unless it is an [`Error`] a
    /// lower layer already gave its kind (kept through `.context(…)`).
    pub fn at_edge(kind: ErrorKind, e: anyhow::Error) -> Error {
        let inner = e.chain().find_map(|c| {
            c.downcast_ref::<Error>()
                .map(Error::kind)
                .or_else(|| c.downcast_ref::<Diagnostics>().map(|_| ErrorKind::Input))
        });
        match inner {
            Some(kind) => Error { kind, inner: e },
            None => Error::new(kind, e),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The exit code this error means.
    pub fn exit(&self) -> Exit {
        self.kind.exit()
    }

    /// Diagnostics print their own `error:` lines, with the offending line and a caret.
    pub fn is_diagnostics(&self) -> bool {
        self.inner.chain().next().is_some_and(|c| {
            c.is::<Diagnostics>() || c.downcast_ref::<Error>().is_some_and(Error::is_diagnostics)
        })
    }

    /// The causes, this error's own message first: for callers that look for an underlying
    /// error by its type (a closed pipe's `io::Error`), never by its text.
    pub fn chain(&self) -> anyhow::Chain<'_> {
        self.inner.chain()
    }

    /// The same error, with `context` in front of its message.
    pub fn context(self, context: impl fmt::Display + Send + Sync + 'static) -> Error {
        Error {
            kind: self.kind,
            inner: self.inner.context(context),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_diagnostics() {
            write!(f, "{}", self.inner)
        } else {
            write!(f, "{:#}", self.inner)
        }
    }
}

impl std::error::Error for Error {}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Error {
        Error::input(d)
    }
}

/// Reads a file the user named, as UTF-8 text (a leading BOM kept); missing, unreadable or not
/// text is an input error.
pub fn read_input(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::usage(format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_an_input_error_and_keeps_its_kind_through_context() {
        let e = read_input(Path::new("/nonexistent/chatcookie.toml")).unwrap_err();
        assert_eq!(e.exit(), Exit::Usage);
        assert!(
            e.to_string()
                .contains("cannot read /nonexistent/chatcookie.toml")
        );
        let wrapped = Error::at_edge(
            ErrorKind::Browser,
            anyhow::Error::new(e).context("loading the policy"),
        );
        assert_eq!(wrapped.kind(), ErrorKind::Input);
        assert!(
            wrapped
                .to_string()
                .starts_with("loading the policy: cannot read")
        );
        let other = Error::at_edge(ErrorKind::Browser, anyhow::anyhow!("the browser crashed"));
        assert_eq!(other.kind(), ErrorKind::Browser);
        assert_eq!(other.exit(), Exit::ScanFailed);
    }
}
