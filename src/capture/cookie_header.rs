//! `Cookie:` and `Set-Cookie:` lines, and bare `name=value; …` strings, one header per line.
//!
//! Every line is split on `;` into `name=value` parts (a part without `=` is a bare name; a
//! leading `Cookie:` is dropped), while a `Set-Cookie:` line is one cookie whose `Domain`
//! attribute is kept and whose other attributes are not keys.

use std::io::BufRead;

use super::lines::{Kept, Lines};
use super::strip_prefix_ignore_case;
use super::{CaptureError, Emitter, Sink, push_cookie_pairs, push_set_cookie};

pub fn read<R: BufRead, S: Sink + ?Sized>(
    lines: &mut Lines<R>,
    kept: Vec<Kept>,
    out: &mut Emitter<'_, S>,
) -> Result<(), CaptureError> {
    lines.for_each(kept, |number, line| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(true);
        }
        let origin = format!("line {number}");
        if let Some(set_cookie) = strip_prefix_ignore_case(line, "set-cookie:") {
            push_set_cookie(out, set_cookie, None, &origin);
        } else {
            let pairs = strip_prefix_ignore_case(line, "cookie:").unwrap_or(line);
            push_cookie_pairs(out, pairs, None, &origin);
        }
        Ok(!out.stopped())
    })
}
