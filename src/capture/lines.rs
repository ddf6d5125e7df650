//! Reads text input a line at a time: BOM, UTF-8 and NUL checks with byte offsets, line numbers, lookahead.

use std::io::BufRead;

use super::CaptureError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Lines of an input, numbered from 1, without their LF or CRLF; the BOM is skipped.
pub struct Lines<R> {
    input: R,
    name: String,
    /// Bytes consumed from the start of the input, BOM included.
    offset: usize,
    number: usize,
    buf: Vec<u8>,
}

/// The first line that is not blank, and what came before it.
pub struct Start {
    pub number: usize,
    pub line: String,
    /// Its first non-whitespace character is `{` or `[`.
    pub starts_json: bool,
    /// Every byte read so far (BOM excluded), for reading JSON whole.
    consumed: Vec<u8>,
    bom: usize,
}

/// A line kept while detecting the format: its number and text (blank lines are not kept).
pub type Kept = (usize, String);

impl<R: BufRead> Lines<R> {
    pub fn new(input: R, name: &str) -> Self {
        Lines {
            input,
            name: name.to_owned(),
            offset: 0,
            number: 0,
            buf: Vec::with_capacity(256),
        }
    }

    fn unreadable(&self, source: std::io::Error) -> CaptureError {
        CaptureError::Unreadable {
            path: self.name.clone(),
            cause: source,
        }
    }

    /// Reads the next line into `buf`; returns the range of its text, or `None` at the end.
    fn read_raw(&mut self) -> Result<Option<(usize, usize)>, CaptureError> {
        self.buf.clear();
        let n = match self.input.read_until(b'\n', &mut self.buf) {
            Ok(n) => n,
            Err(e) => return Err(self.unreadable(e)),
        };
        if n == 0 {
            return Ok(None);
        }
        let base = self.offset;
        self.offset += n;
        let start = if self.number == 0 && self.buf.starts_with(UTF8_BOM) {
            UTF8_BOM.len()
        } else {
            0
        };
        if let Some(bad) = first_bad_byte(&self.buf[start..]) {
            return Err(CaptureError::NotText {
                offset: base + start + bad,
            });
        }
        self.number += 1;
        let mut end = self.buf.len();
        if self.buf[..end].ends_with(b"\n") {
            end -= 1;
        }
        if self.buf[start..end].ends_with(b"\r") {
            end -= 1;
        }
        Ok(Some((start, end)))
    }

    /// The next line and its number, or `None` at the end of the input.
    pub fn next_line(&mut self) -> Result<Option<(usize, &str)>, CaptureError> {
        Ok(self.read_raw()?.map(|(start, end)| {
            let text = std::str::from_utf8(&self.buf[start..end]).expect("checked in read_raw");
            (self.number, text)
        }))
    }

    /// Skips blank lines up to the first line with content; `None` when there is none.
    pub fn first_content_line(&mut self) -> Result<Option<Start>, CaptureError> {
        let mut consumed = Vec::new();
        let mut bom = 0;
        loop {
            let first = self.number == 0;
            let Some((start, end)) = self.read_raw()? else {
                return Ok(None);
            };
            if first {
                bom = start;
            }
            let text = std::str::from_utf8(&self.buf[start..end]).expect("checked in read_raw");
            if !text.trim().is_empty() {
                let line = text.to_owned();
                consumed.extend_from_slice(&self.buf[start..]);
                return Ok(Some(Start {
                    number: self.number,
                    starts_json: matches!(line.trim_start().chars().next(), Some('{' | '[')),
                    line,
                    consumed,
                    bom,
                }));
            }
            consumed.extend_from_slice(&self.buf[start..]);
        }
    }

    /// The whole input as text (without its BOM), from the start: JSON is parsed whole.
    pub fn rest_as_text(&mut self, start: Start) -> Result<String, CaptureError> {
        let mut bytes = start.consumed;
        let already = bytes.len();
        if let Err(e) = self.input.read_to_end(&mut bytes) {
            return Err(self.unreadable(e));
        }
        if let Some(bad) = first_bad_byte(&bytes[already..]) {
            return Err(CaptureError::NotText {
                offset: start.bom + already + bad,
            });
        }
        Ok(String::from_utf8(bytes).expect("every part checked"))
    }

    /// Keeps lines from `start` on until `significant` lines that are neither blank nor comments
    /// were seen (or the input ended), for detection; blank lines are dropped.
    pub fn lookahead(
        &mut self,
        start: Start,
        significant: usize,
    ) -> Result<Vec<Kept>, CaptureError> {
        let is_significant = |line: &str| !line.trim_start().starts_with('#');
        let mut seen = usize::from(is_significant(&start.line));
        let mut kept = vec![(start.number, start.line)];
        // Comments are kept too (a cookies.txt's `#HttpOnly_` lines), but not without bound.
        while seen < significant && kept.len() < significant * 8 {
            let Some((number, line)) = self.next_line()? else {
                break;
            };
            if line.trim().is_empty() {
                continue;
            }
            seen += usize::from(is_significant(line));
            kept.push((number, line.to_owned()));
        }
        Ok(kept)
    }

    /// Calls `f` on the kept lines, then on every further line, until `f` returns `false`.
    pub fn for_each(
        &mut self,
        kept: Vec<Kept>,
        mut f: impl FnMut(usize, &str) -> Result<bool, CaptureError>,
    ) -> Result<(), CaptureError> {
        for (number, line) in kept {
            if !f(number, &line)? {
                return Ok(());
            }
        }
        while let Some((number, line)) = self.next_line()? {
            if !f(number, line)? {
                break;
            }
        }
        Ok(())
    }
}

/// The offset of the first NUL or invalid UTF-8 byte, whichever comes first. NUL is valid UTF-8
/// but never part of a capture a user pastes, so it marks a binary file too.
fn first_bad_byte(bytes: &[u8]) -> Option<usize> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.find('\0'),
        Err(err) => {
            let valid = err.valid_up_to();
            Some(bytes[..valid].iter().position(|&b| b == 0).unwrap_or(valid))
        }
    }
}
