//! The visitor's settings as the user writes them (`--locale`, `--timezone`, `--geolocation`, `--header`, `--proxy`), checked.

use super::{Geolocation, Header};
use crate::error::{Error, Result};
use std::path::Path;
use std::time::Duration;

/// Parses `--locale`: a BCP 47 tag such as `de-DE`, `en`, `pt-BR` or `zh-Hant-TW`.
pub fn parse_locale(s: &str) -> Result<String> {
    let parts: Vec<&str> = s.split(['-', '_']).collect();
    let lang = parts[0];
    let ok_lang = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic());
    let ok_rest = parts[1..].iter().all(|p| {
        (p.len() == 4 && p.bytes().all(|b| b.is_ascii_alphabetic()))
            || (p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
            || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
            || ((5..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
    });
    if !ok_lang || !ok_rest || parts.len() > 4 {
        return Err(Error::usage(format!(
            "`{s}` is not a language tag (BCP 47, e.g. de-DE, en, fr-CA)"
        )));
    }
    // Canonical case: language lower, script title, region upper.
    let canon: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| match (i, p.len()) {
            (0, _) => p.to_ascii_lowercase(),
            (_, 2) => p.to_ascii_uppercase(),
            (_, 4) => {
                let mut c = p.to_ascii_lowercase();
                c[..1].make_ascii_uppercase();
                c
            }
            _ => p.to_string(),
        })
        .collect();
    Ok(canon.join("-"))
}

/// The language list a browser set to `locale` has: the tag, then its bare language. Chromium
/// adds the q-values to the Accept-Language header itself, and `navigator.languages` is this list.
pub fn accept_language(locale: &str) -> String {
    let lang = locale.split('-').next().unwrap_or(locale);
    if lang == locale {
        locale.to_string()
    } else {
        format!("{locale},{lang}")
    }
}

/// Parses `--timezone`: an IANA name such as `Europe/Berlin` (checked against the system's
/// zone database where there is one; Chromium has its own and is the final judge).
pub fn parse_timezone(s: &str) -> Result<String> {
    let shape = !s.is_empty()
        && s.split('/').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
        })
        && !s.contains("..");
    let bad = || {
        Error::usage(format!(
            "`{s}` is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)"
        ))
    };
    if !shape {
        return Err(bad());
    }
    let db = Path::new("/usr/share/zoneinfo");
    if db.is_dir() && !db.join(s).is_file() {
        return Err(bad());
    }
    Ok(s.to_string())
}

/// Parses `--geolocation LAT,LON[,ACCURACY]` (degrees; accuracy in metres, default 50).
pub fn parse_geolocation(s: &str) -> Result<Geolocation> {
    let bad =
        |why: &str| Error::usage(format!("`{s}`: {why} (expected LAT,LON, e.g. 52.52,13.40)"));
    let nums: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("not numbers"))?;
    let (latitude, longitude, accuracy) = match nums.as_slice() {
        [a, b] => (*a, *b, 50.0),
        [a, b, c] => (*a, *b, *c),
        _ => return Err(bad("two or three numbers needed")),
    };
    if !(-90.0..=90.0).contains(&latitude) {
        return Err(bad("latitude must be within -90..90"));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return Err(bad("longitude must be within -180..180"));
    }
    if !accuracy.is_finite() || accuracy <= 0.0 {
        return Err(bad("accuracy must be above zero"));
    }
    Ok(Geolocation {
        latitude,
        longitude,
        accuracy,
    })
}

/// Parses `--header 'Name: value'`.
pub fn parse_header(s: &str) -> Result<Header> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| Error::usage(format!("`{s}`: expected 'Name: value'")))?;
    let name = name.trim();
    let value = value.trim();
    // RFC 9110 token characters.
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(Error::usage(format!(
            "`{s}`: `{name}` is not a header name"
        )));
    }
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Error::usage(format!("`{s}`: the value holds a line break")));
    }
    Ok(Header {
        name: name.to_string(),
        value: value.to_string(),
    })
}

/// Parses `--proxy`: `http://`, `https://`, `socks4://` or `socks5://` with a host and port.
pub fn parse_proxy(s: &str) -> Result<String> {
    let url =
        url::Url::parse(s).map_err(|e| Error::usage(format!("`{s}` is not a proxy URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https" | "socks4" | "socks5") {
        return Err(Error::usage(format!(
            "`{s}`: unsupported proxy scheme `{}` (use http://, https://, socks4:// or socks5://)",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::usage(format!("`{s}`: no proxy host")));
    }
    if !url.username().is_empty() {
        return Err(Error::usage(format!(
            "`{s}`: Chromium takes no proxy credentials in the URL; use a proxy that does not need them"
        )));
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// Whether a TCP connection to the proxy can be opened, so an unreachable one is a usage error
/// before the scan rather than a page that fails to load.
pub fn check_proxy_reachable(proxy: &str, timeout: Duration) -> Result<()> {
    use std::net::{TcpStream, ToSocketAddrs};
    let url = url::Url::parse(proxy).map_err(Error::usage)?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(match url.scheme() {
        "socks4" | "socks5" => 1080,
        _ => 80,
    });
    let addrs: Vec<_> = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .map_err(|e| Error::usage(format!("the proxy {proxy} does not resolve: {e}")))?
        .collect();
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(Error::usage(format!(
        "the proxy {proxy} is unreachable: {last}"
    )))
}
