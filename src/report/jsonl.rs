//! JSON Lines: one compact report per line, the same objects as the JSON report, for streaming.

use super::{Renderer, ScanReport};
use std::io::Write;

pub struct JsonlRenderer;

impl JsonlRenderer {
    /// Writes one report as one line; `scan` calls it as each site finishes.
    pub fn write_line(report: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
        // serde_json escapes control characters (newlines included): a report is always one line.
        serde_json::to_writer(&mut *out, report)?;
        writeln!(out)?;
        Ok(())
    }
}

impl Renderer for JsonlRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        for r in reports {
            Self::write_line(r, out)?;
        }
        Ok(())
    }
}
