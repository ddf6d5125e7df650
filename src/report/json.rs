//! The JSON report: the full model, stable field names, versioned by `schema_version`.

use super::{Renderer, SCHEMA_VERSION, ScanReport};
use crate::error::{Error, Result, read_input};
use std::io::Write;
use std::path::Path;

pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        match reports {
            [one] => serde_json::to_writer_pretty(&mut *out, one)?,
            many => serde_json::to_writer_pretty(&mut *out, many)?,
        }
        writeln!(out)?;
        Ok(())
    }
}

/// Reads back a file `--format json` wrote (one report, or an array of them): for baselines,
/// `diff` and anything else that compares scans. A file that is not such a report is an input
/// error naming the line, column and field.
pub fn read(path: &Path) -> Result<Vec<ScanReport>> {
    let text = read_input(path)?;
    parse(&text).map_err(|e| Error::usage(format!("{}:{e}", path.display())))
}

/// The reports of a JSON report text; a text that is not such a report is an input error that
/// says where (`line:column: …`, and the field).
pub fn parse(text: &str) -> Result<Vec<ScanReport>> {
    let many = text.trim_start().starts_with('[');
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = if many {
        serde_path_to_error::deserialize::<_, Vec<ScanReport>>(&mut de)
    } else {
        serde_path_to_error::deserialize::<_, ScanReport>(&mut de).map(|r| vec![r])
    };
    let reports = parsed.map_err(|e| Error::usage(malformed(text, e)))?;
    de.end()
        .map_err(|e| Error::usage(format!("{}:{}: {e}", e.line(), e.column())))?;
    Ok(reports)
}

/// Why `text` is not a report this version reads, and where: not JSON, a newer schema, or the
/// field that does not fit.
fn malformed(text: &str, e: serde_path_to_error::Error<serde_json::Error>) -> String {
    let (path, inner) = (e.path().to_string(), e.into_inner());
    let at = format!("{}:{}", inner.line(), inner.column());
    if inner.is_syntax() || inner.is_eof() {
        return format!("{at}: not JSON: {inner}");
    }
    // A newer report fails on what this version does not know: say that, not the field.
    if let Some(n) = newest_version(text).filter(|n| *n > u64::from(SCHEMA_VERSION)) {
        return format!(
            "{at}: schema version {n} is newer than this chatcookie reads ({SCHEMA_VERSION}); upgrade chatcookie"
        );
    }
    format!("{at}: not a chatcookie JSON report: at `{path}`: {inner}")
}

/// The highest `schema_version` among the reports of `text`, if it is JSON at all.
fn newest_version(text: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let version = |r: &serde_json::Value| r.get("schema_version").and_then(|s| s.as_u64());
    match &v {
        serde_json::Value::Array(a) => a.iter().filter_map(version).max(),
        one => version(one),
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;

    #[test]
    fn a_text_that_is_not_a_report_is_an_input_error_saying_where() {
        let e = super::parse("[{\"a\": }]").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Input);
        assert!(e.to_string().starts_with("1:8: not JSON"), "{e}");
        let e = super::parse("[] x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Input);
        assert!(e.to_string().starts_with("1:4: "), "{e}");
    }
}
