//! Resources the scan itself reads through the browser (a site's sitemap), out of the page's sight.
//!
//! `Network.loadNetworkResource` loads as DevTools does for source maps: through the browser's
//! network stack (its proxy, its certificates), without the page's cookies, and without the
//! page seeing a request.

use super::cdp::Page;
use serde_json::{Value, json};
use std::time::Duration;

/// Why a resource could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Browser(String),
    #[error("HTTP {0}")]
    Status(i64),
    #[error("{0}")]
    Network(String),
    #[error("larger than {0} bytes")]
    TooLarge(usize),
}

/// Reads `url` as text in the context of `frame`, at most `max_bytes` of it.
pub fn text(
    page: &Page,
    frame: &str,
    url: &str,
    max_bytes: usize,
    timeout: Duration,
) -> Result<String, FetchError> {
    let reply = page
        .call(
            "Network.loadNetworkResource",
            json!({
                "frameId": frame,
                "url": url,
                "options": { "disableCache": false, "includeCredentials": false },
            }),
            timeout,
        )
        .map_err(|e| FetchError::Browser(e.to_string()))?;
    let res = reply.get("resource").unwrap_or(&Value::Null);
    if res.get("success").and_then(Value::as_bool) != Some(true) {
        let why = res
            .get("netErrorName")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("failed");
        return Err(match res.get("httpStatusCode").and_then(Value::as_i64) {
            Some(code) if code >= 400 => FetchError::Status(code),
            _ => FetchError::Network(why.to_string()),
        });
    }
    let Some(handle) = res.get("stream").and_then(Value::as_str) else {
        return Ok(String::new());
    };
    let mut bytes = Vec::new();
    let read = (|| loop {
        let chunk = page
            .call("IO.read", json!({ "handle": handle }), timeout)
            .map_err(|e| FetchError::Browser(e.to_string()))?;
        let data = chunk
            .get("data")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if chunk.get("base64Encoded").and_then(Value::as_bool) == Some(true) {
            let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data)
                .map_err(|e| FetchError::Browser(e.to_string()))?;
            bytes.extend(decoded);
        } else {
            bytes.extend_from_slice(data.as_bytes());
        }
        if bytes.len() > max_bytes {
            return Err(FetchError::TooLarge(max_bytes));
        }
        if chunk.get("eof").and_then(Value::as_bool) != Some(false) {
            return Ok(());
        }
    })();
    let _ = page.call("IO.close", json!({ "handle": handle }), timeout);
    read?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
