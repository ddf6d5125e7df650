//! Netscape `cookies.txt` (curl, wget, yt-dlp, browser extensions): 7 tab-separated fields per cookie.
//!
//! Fields: domain, include-subdomains flag, path, secure flag, expiry, name, value. A domain
//! field prefixed with `#HttpOnly_` (curl's mark for an HttpOnly cookie) is a cookie line, not a
//! comment; other `#` lines are comments. A line without tabs is split on whitespace (a file
//! whose tabs were lost in copying). The value may be empty or missing (6 fields); a line with
//! fewer fields is [`CaptureError::Malformed`]. Every key is a cookie of its (normalized) domain.

use std::io::BufRead;

use super::lines::{Kept, Lines};
use super::{CaptureError, CaptureFormat, CapturedKey, Emitter, Sink, normalize_domain};
use crate::vocab::StorageKind;

pub const HTTP_ONLY_PREFIX: &str = "#HttpOnly_";

/// `# Netscape HTTP Cookie File` or `# HTTP Cookie File` (any case), as curl and others write.
pub fn is_header(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('#') else {
        return false;
    };
    let rest = rest.trim_start().to_ascii_lowercase();
    rest.starts_with("netscape http cookie file") || rest.starts_with("http cookie file")
}

/// A line with the 7 (or 6) fields and `TRUE`/`FALSE` in both flag columns (split on
/// whitespace when it has no tab, as `read` does).
pub fn looks_like_cookie_line(line: &str) -> bool {
    let fields: Vec<&str> = if line.contains('\t') {
        line.split('\t').collect()
    } else {
        line.split_whitespace().collect()
    };
    let flag = |s: &str| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false");
    (6..=7).contains(&fields.len()) && flag(fields[1]) && flag(fields[3])
}

pub fn read<R: BufRead, S: Sink + ?Sized>(
    lines: &mut Lines<R>,
    kept: Vec<Kept>,
    out: &mut Emitter<'_, S>,
) -> Result<(), CaptureError> {
    lines.for_each(kept, |number, line| {
        let line = line.trim_end_matches([' ', '\r']);
        let body = line.strip_prefix(HTTP_ONLY_PREFIX).unwrap_or(line);
        if body.trim().is_empty() || (body.len() == line.len() && line.trim_start().starts_with('#'))
        {
            return Ok(true);
        }
        let fields: Vec<&str> = if body.contains('\t') {
            body.splitn(7, '\t').collect()
        } else {
            body.split_whitespace().collect()
        };
        if fields.len() < 6 || (!body.contains('\t') && fields.len() > 7) {
            return Err(CaptureError::Malformed {
                format: CaptureFormat::CookiesTxt,
                line: number,
                column: line.chars().count() + 1,
                message: format!(
                    "expected 7 tab-separated fields (domain, include-subdomains, path, secure, expiry, name, value), found {}",
                    fields.len()
                ),
            });
        }
        out.key(CapturedKey {
            name: fields[5].to_owned(),
            storage: Some(StorageKind::Cookie),
            domain: normalize_domain(fields[0]),
            value: Some(fields.get(6).copied().unwrap_or_default().to_owned()),
            origin: format!("line {number}"),
        });
        Ok(!out.stopped())
    })
}
