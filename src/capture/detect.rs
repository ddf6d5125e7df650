//! Picks the format of a text capture from its first lines (the order is in the module docs of `capture`).

use super::CaptureFormat;
use super::lines::Kept;
use super::{cookies_txt, raw_headers, strip_prefix_ignore_case};

/// How many lines that are neither blank nor comments detection looks at.
pub const LOOKAHEAD: usize = 32;

/// The format of a text capture, from its first non-blank lines (comments included).
pub fn text_format(kept: &[Kept]) -> CaptureFormat {
    let first_raw = kept.first().map_or("", |(_, line)| line.trim());
    let significant: Vec<&str> = kept
        .iter()
        .map(|(_, line)| line.trim())
        .filter(|line| !line.starts_with('#'))
        .collect();
    if cookies_txt::is_header(first_raw)
        || first_raw.starts_with(cookies_txt::HTTP_ONLY_PREFIX)
        || significant
            .first()
            .is_some_and(|line| cookies_txt::looks_like_cookie_line(line))
    {
        return CaptureFormat::CookiesTxt;
    }
    if raw_headers::looks_like_headers(&significant) {
        return CaptureFormat::RawHeaders;
    }
    let first = significant.first().copied().unwrap_or("");
    let is_header = strip_prefix_ignore_case(first, "cookie:").is_some()
        || strip_prefix_ignore_case(first, "set-cookie:").is_some()
        || (first.contains('=') && first.contains(';'))
        || (first.contains('=') && significant.len() == 1);
    if is_header {
        CaptureFormat::CookieHeader
    } else {
        CaptureFormat::NameList
    }
}
