//! The JSON report: the full model, stable field names, versioned by `schema_version`.

use super::{Renderer, ScanReport};
use std::io::Write;

pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> anyhow::Result<()> {
        match reports {
            [one] => serde_json::to_writer_pretty(&mut *out, one)?,
            many => serde_json::to_writer_pretty(&mut *out, many)?,
        }
        writeln!(out)?;
        Ok(())
    }
}
