//! One key name per line; blank lines and `#` comments skipped; storage unknown.

use std::io::BufRead;

use super::lines::{Kept, Lines};
use super::{CaptureError, CapturedKey, Emitter, Sink};

pub fn read<R: BufRead, S: Sink + ?Sized>(
    lines: &mut Lines<R>,
    kept: Vec<Kept>,
    out: &mut Emitter<'_, S>,
) -> Result<(), CaptureError> {
    lines.for_each(kept, |number, line| {
        let line = line.trim();
        if !line.is_empty() && !line.starts_with('#') {
            out.key(CapturedKey {
                name: line.to_owned(),
                storage: None,
                domain: None,
                value: None,
                origin: format!("line {number}"),
            });
        }
        Ok(!out.stopped())
    })
}
