//! The visitor the page sees: a desktop or mobile Chrome user with a language, time zone, place, headers and starting state — never a bot.
//!
//! Everything here is applied per page over CDP (user agent and client hints, screen, locale,
//! time zone, geolocation, touch, headers, the automation flag, a starting cookie jar and
//! storage), so it holds in a browser chatcookie launched and in a farm's browser it connects
//! to alike. What the page then saw is read back from it ([`Seen`]) for the report.

use super::cdp::{CdpError, Page};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// A device the visitor browses with: viewport, screen, pixel ratio, touch, user-agent flavour.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Device {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    pub screen_width: u32,
    pub screen_height: u32,
    pub scale: f64,
    pub mobile: bool,
    pub touch: bool,
    /// The user agent's platform token (`{v}` is the browser's major version).
    #[serde(skip)]
    ua: &'static str,
    /// Client-hint model (empty on desktops).
    #[serde(skip)]
    model: &'static str,
}

/// The named devices `--device` knows. `desktop` is the default, `mobile` an alias of `pixel-7`.
pub const DEVICES: &[Device] = &[
    Device {
        name: "desktop",
        width: 1280,
        height: 720,
        screen_width: 1920,
        screen_height: 1080,
        scale: 1.0,
        mobile: false,
        touch: false,
        ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
        model: "",
    },
    Device {
        name: "laptop",
        width: 1366,
        height: 768,
        screen_width: 1366,
        screen_height: 768,
        scale: 1.0,
        mobile: false,
        touch: false,
        ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
        model: "",
    },
    Device {
        name: "pixel-7",
        width: 412,
        height: 915,
        screen_width: 412,
        screen_height: 915,
        scale: 2.625,
        mobile: true,
        touch: true,
        ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36",
        model: "Pixel 7",
    },
    Device {
        name: "galaxy-s23",
        width: 360,
        height: 780,
        screen_width: 360,
        screen_height: 780,
        scale: 3.0,
        mobile: true,
        touch: true,
        ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36",
        model: "SM-S911B",
    },
    Device {
        name: "tablet",
        width: 800,
        height: 1280,
        screen_width: 800,
        screen_height: 1280,
        scale: 2.0,
        mobile: true,
        touch: true,
        ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
        model: "",
    },
];

impl Device {
    /// The device named `name` (`mobile` is `pixel-7`).
    pub fn named(name: &str) -> Result<Device, String> {
        let want = if name == "mobile" { "pixel-7" } else { name };
        DEVICES
            .iter()
            .find(|d| d.name == want)
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = DEVICES.iter().map(|d| d.name).collect();
                format!(
                    "unknown device `{name}` (known: mobile, {})",
                    names.join(", ")
                )
            })
    }
}

impl Default for Device {
    fn default() -> Self {
        DEVICES[0]
    }
}

impl<'de> Deserialize<'de> for Device {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A name (policy, flags), or the device as a report records it (read back by name).
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Named {
            Name(String),
            Recorded { name: String },
        }
        let (Named::Name(name) | Named::Recorded { name }) = Named::deserialize(d)?;
        Device::named(&name).map_err(serde::de::Error::custom)
    }
}

/// A point on earth for `navigator.geolocation` (the permission is granted).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Geolocation {
    pub latitude: f64,
    pub longitude: f64,
    /// Metres.
    pub accuracy: f64,
}

/// One extra request header (`--header 'Name: value'`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Header {
    pub name: String,
    /// Never written to a report: headers carry credentials.
    #[serde(skip_serializing, default)]
    pub value: String,
}

/// The visitor the scan plays. The default is a desktop Chrome user with the browser's own
/// language and time zone, no extra headers, and an empty jar.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Visitor {
    pub device: Device,
    /// BCP 47 language tag: Accept-Language, `navigator.languages` and `Intl`.
    pub locale: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    pub geolocation: Option<Geolocation>,
    /// Replaces the user agent the device would send (client hints then say nothing more).
    pub user_agent: Option<String>,
    /// The proxy every request of the scan goes through.
    pub proxy: Option<String>,
    pub headers: Vec<Header>,
    /// The Playwright storageState file the visitor starts with (its path; contents below).
    pub storage_state: Option<String>,
    #[serde(skip)]
    pub state: Option<StorageState>,
}

/// Playwright's `storageState` format (also what Puppeteer users export): cookies and
/// per-origin localStorage.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageState {
    #[serde(default)]
    pub cookies: Vec<StateCookie>,
    #[serde(default)]
    pub origins: Vec<StateOrigin>,
}

/// One cookie of a storage state.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateCookie {
    pub name: String,
    pub value: String,
    pub domain: String,
    #[serde(default = "root_path")]
    pub path: String,
    /// Unix seconds; -1 (or absent) for a session cookie.
    #[serde(default = "session_expiry")]
    pub expires: f64,
    #[serde(default)]
    pub http_only: bool,
    #[serde(default)]
    pub secure: bool,
    pub same_site: Option<String>,
    /// Playwright may write these; they are accepted and ignored.
    #[serde(default, skip_serializing)]
    pub partition_key: Option<Value>,
}

fn root_path() -> String {
    "/".into()
}

fn session_expiry() -> f64 {
    -1.0
}

/// One origin's localStorage in a storage state.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateOrigin {
    pub origin: String,
    #[serde(default)]
    pub local_storage: Vec<StateItem>,
}

/// A name/value pair of a storage state's localStorage.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StateItem {
    pub name: String,
    pub value: String,
}

/// Parses `--locale`: a BCP 47 tag such as `de-DE`, `en`, `pt-BR` or `zh-Hant-TW`.
pub fn parse_locale(s: &str) -> Result<String, String> {
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
        return Err(format!(
            "`{s}` is not a language tag (BCP 47, e.g. de-DE, en, fr-CA)"
        ));
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
pub fn parse_timezone(s: &str) -> Result<String, String> {
    let shape = !s.is_empty()
        && s.split('/').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
        })
        && !s.contains("..");
    let bad =
        || format!("`{s}` is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)");
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
pub fn parse_geolocation(s: &str) -> Result<Geolocation, String> {
    let bad = |why: &str| format!("`{s}`: {why} (expected LAT,LON, e.g. 52.52,13.40)");
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
pub fn parse_header(s: &str) -> Result<Header, String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}`: expected 'Name: value'"))?;
    let name = name.trim();
    let value = value.trim();
    // RFC 9110 token characters.
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!("`{s}`: `{name}` is not a header name"));
    }
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(format!("`{s}`: the value holds a line break"));
    }
    Ok(Header {
        name: name.to_string(),
        value: value.to_string(),
    })
}

/// Parses `--proxy`: `http://`, `https://`, `socks4://` or `socks5://` with a host and port.
pub fn parse_proxy(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s).map_err(|e| format!("`{s}` is not a proxy URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https" | "socks4" | "socks5") {
        return Err(format!(
            "`{s}`: unsupported proxy scheme `{}` (use http://, https://, socks4:// or socks5://)",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{s}`: no proxy host"));
    }
    if !url.username().is_empty() {
        return Err(format!(
            "`{s}`: Chromium takes no proxy credentials in the URL; use a proxy that does not need them"
        ));
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// Whether a TCP connection to the proxy can be opened, so an unreachable one is a usage error
/// before the scan rather than a page that fails to load.
pub fn check_proxy_reachable(proxy: &str, timeout: Duration) -> Result<(), String> {
    use std::net::{TcpStream, ToSocketAddrs};
    let url = url::Url::parse(proxy).map_err(|e| e.to_string())?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(match url.scheme() {
        "socks4" | "socks5" => 1080,
        _ => 80,
    });
    let addrs: Vec<_> = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .map_err(|e| format!("the proxy {proxy} does not resolve: {e}"))?
        .collect();
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("the proxy {proxy} is unreachable: {last}"))
}

/// Reads a Playwright `storageState` JSON file; a malformed one is reported with line and column.
pub fn load_storage_state(path: &Path) -> Result<StorageState, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the storage state {}: {e}", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let state: StorageState = serde_json::from_str(text).map_err(|e| {
        format!(
            "{}:{}:{}: not a storageState file (Playwright's {{\"cookies\": [...], \"origins\": [...]}}): {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    for o in &state.origins {
        let ok = url::Url::parse(&o.origin)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !ok {
            return Err(format!(
                "{}: origin `{}` is not an http(s) origin",
                path.display(),
                o.origin
            ));
        }
    }
    for c in &state.cookies {
        if c.name.is_empty() && c.value.is_empty() || c.domain.is_empty() {
            return Err(format!(
                "{}: cookie `{}` needs a name and a domain",
                path.display(),
                c.name
            ));
        }
        if let Some(s) = &c.same_site
            && !matches!(s.as_str(), "Strict" | "Lax" | "None")
        {
            return Err(format!(
                "{}: cookie `{}`: sameSite `{s}` is not Strict, Lax or None",
                path.display(),
                c.name
            ));
        }
    }
    Ok(state)
}

/// The user agent a real Chrome of `product` (e.g. `HeadlessChrome/156.0.8078.73`) sends on `device`.
pub fn user_agent_for(device: &Device, product: &str) -> String {
    device.ua.replace("{v}", major_version(product))
}

fn major_version(product: &str) -> &str {
    let full = product.rsplit('/').next().unwrap_or("0");
    full.split('.').next().unwrap_or("0")
}

fn full_version(product: &str) -> &str {
    product.rsplit('/').next().unwrap_or("0.0.0.0")
}

impl Visitor {
    /// The browser-level CDP calls this visitor needs (permissions), for the page's browser
    /// context `context` (None: the default context).
    pub fn browser_calls(&self, context: Option<&str>) -> Vec<(String, Value)> {
        let mut calls = Vec::new();
        if self.geolocation.is_some() {
            let mut grant = json!({ "permissions": ["geolocation"] });
            if let Some(ctx) = context {
                grant["browserContextId"] = ctx.into();
            }
            calls.push(("Browser.grantPermissions".to_string(), grant));
        }
        calls
    }

    /// The page-level CDP calls that make the page see this visitor, in order. `product` is the
    /// browser's version string (`Browser.getVersion`).
    pub fn calls(&self, product: &str) -> Vec<(String, Value)> {
        let d = &self.device;
        let mut calls: Vec<(String, Value)> = Vec::new();
        let major = major_version(product);
        let full = full_version(product);
        let brands = json!([
            { "brand": "Chromium", "version": major },
            { "brand": "Not_A Brand", "version": "24" },
        ]);
        let full_list = json!([
            { "brand": "Chromium", "version": full },
            { "brand": "Not_A Brand", "version": "24.0.0.0" },
        ]);
        let mut ua = json!({
            "userAgent": self.user_agent.clone().unwrap_or_else(|| user_agent_for(d, product)),
            "platform": if d.mobile { "Linux armv81" } else { "Linux x86_64" },
        });
        if self.user_agent.is_none() {
            ua["userAgentMetadata"] = json!({
                "brands": brands,
                "fullVersionList": full_list,
                "fullVersion": full,
                "platform": if d.mobile { "Android" } else { "Linux" },
                "platformVersion": if d.mobile { "10.0.0" } else { "" },
                "architecture": if d.mobile { "" } else { "x86" },
                "model": d.model,
                "mobile": d.mobile,
                "bitness": if d.mobile { "" } else { "64" },
                "wow64": false,
            });
        }
        if let Some(l) = &self.locale {
            ua["acceptLanguage"] = accept_language(l).into();
        }
        calls.push(("Emulation.setUserAgentOverride".into(), ua));
        // The screen is never smaller than the window, as on any real device.
        calls.push((
            "Emulation.setDeviceMetricsOverride".into(),
            json!({
                "width": d.width,
                "height": d.height,
                "deviceScaleFactor": d.scale,
                "mobile": d.mobile,
                "screenWidth": d.screen_width.max(d.width),
                "screenHeight": d.screen_height.max(d.height),
            }),
        ));
        if d.touch {
            calls.push((
                "Emulation.setTouchEmulationEnabled".into(),
                json!({ "enabled": true, "maxTouchPoints": 5 }),
            ));
        }
        if let Some(l) = &self.locale {
            calls.push(("Emulation.setLocaleOverride".into(), json!({ "locale": l })));
        }
        if let Some(tz) = &self.timezone {
            calls.push((
                "Emulation.setTimezoneOverride".into(),
                json!({ "timezoneId": tz }),
            ));
        }
        if let Some(g) = &self.geolocation {
            calls.push((
                "Emulation.setGeolocationOverride".into(),
                json!({ "latitude": g.latitude, "longitude": g.longitude, "accuracy": g.accuracy }),
            ));
        }
        if !self.headers.is_empty() {
            let headers: serde_json::Map<String, Value> = self
                .headers
                .iter()
                .map(|h| (h.name.clone(), Value::String(h.value.clone())))
                .collect();
            calls.push((
                "Network.setExtraHTTPHeaders".into(),
                json!({ "headers": headers }),
            ));
        }
        if let Some(state) = &self.state
            && !state.cookies.is_empty()
        {
            let cookies: Vec<Value> = state.cookies.iter().map(cookie_param).collect();
            calls.push(("Network.setCookies".into(), json!({ "cookies": cookies })));
        }
        calls
    }

    /// A script for every new document that seeds the storage state's localStorage into the
    /// documents of its origins (removed after the first page load, so a key the site deletes
    /// stays deleted), or None when there is nothing to seed.
    pub fn seed_script(&self) -> Option<String> {
        let state = self.state.as_ref()?;
        let seeds: serde_json::Map<String, Value> = state
            .origins
            .iter()
            .filter(|o| !o.local_storage.is_empty())
            .map(|o| {
                let items: serde_json::Map<String, Value> = o
                    .local_storage
                    .iter()
                    .map(|i| (i.name.clone(), Value::String(i.value.clone())))
                    .collect();
                (
                    o.origin.trim_end_matches('/').to_string(),
                    Value::Object(items),
                )
            })
            .collect();
        if seeds.is_empty() {
            return None;
        }
        Some(format!(
            "(() => {{ const s = {}[location.origin]; if (!s) return; try {{ for (const k in s) if (localStorage.getItem(k) === null) localStorage.setItem(k, s[k]); }} catch (e) {{}} }})()",
            Value::Object(seeds)
        ))
    }

    /// One line for the report: what was asked of the visitor (what the page saw is in [`Seen`]).
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("device {}", self.device.name)];
        if let Some(l) = &self.locale {
            parts.push(format!("locale {l}"));
        }
        if let Some(t) = &self.timezone {
            parts.push(format!("time zone {t}"));
        }
        if let Some(g) = &self.geolocation {
            parts.push(format!("geolocation {},{}", g.latitude, g.longitude));
        }
        if let Some(u) = &self.user_agent {
            parts.push(format!("user agent `{u}`"));
        }
        if let Some(p) = &self.proxy {
            parts.push(format!("proxy {p}"));
        }
        if !self.headers.is_empty() {
            let names: Vec<&str> = self.headers.iter().map(|h| h.name.as_str()).collect();
            parts.push(format!("headers {}", names.join(", ")));
        }
        if let Some(s) = &self.storage_state {
            parts.push(format!("storage state {s}"));
        }
        parts.join("; ")
    }
}

fn cookie_param(c: &StateCookie) -> Value {
    let mut p = json!({
        "name": c.name,
        "value": c.value,
        "domain": c.domain,
        "path": c.path,
        "secure": c.secure,
        "httpOnly": c.http_only,
    });
    if c.expires > 0.0 {
        p["expires"] = c.expires.into();
    }
    if let Some(s) = &c.same_site {
        p["sameSite"] = s.as_str().into();
    }
    p
}

/// The script that makes `navigator.webdriver` false in every document, for browsers whose
/// launch flags are not ours (a farm's): the flag is how automation announces itself.
pub const NOT_AUTOMATED: &str = "(() => { try { const d = Object.getOwnPropertyDescriptor(Navigator.prototype, 'webdriver'); if (d && d.get && navigator.webdriver) Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true, enumerable: true }); } catch (e) {} })()";

/// What the page saw of the visitor, read back from it after the load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    pub webdriver: Option<bool>,
    pub user_agent: String,
    pub languages: Vec<String>,
    pub timezone: String,
    pub screen: [u32; 2],
    pub window: [u32; 2],
    pub device_pixel_ratio: f64,
    pub max_touch_points: u32,
    /// `navigator.userAgentData` brands and mobile flag (absent on plain-http pages: it needs a
    /// secure context).
    pub client_hints: Option<String>,
}

/// The expression that reads [`Seen`] in the page's own world.
const READ_BACK: &str = r#"(() => ({
  webdriver: navigator.webdriver,
  user_agent: navigator.userAgent,
  languages: Array.from(navigator.languages || []),
  timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || '',
  screen: [screen.width, screen.height],
  window: [innerWidth, innerHeight],
  device_pixel_ratio: devicePixelRatio,
  max_touch_points: navigator.maxTouchPoints || 0,
  client_hints: navigator.userAgentData ? navigator.userAgentData.brands.map(b => b.brand + ' ' + b.version).join(', ') + (navigator.userAgentData.mobile ? '; mobile' : '; desktop') : null,
}))()"#;

impl Seen {
    /// Reads what the page sees of its visitor.
    pub fn read(page: &Page, timeout: Duration) -> Result<Seen, CdpError> {
        let v = page.evaluate(READ_BACK, timeout)?;
        serde_json::from_value(v).map_err(|e| CdpError::Failed {
            method: "Runtime.evaluate".into(),
            message: format!("unexpected visitor read-back: {e}"),
        })
    }

    /// The tells a bot check looks at, in words; empty when the page saw a plain visitor.
    pub fn tells(&self) -> Vec<String> {
        let mut t = Vec::new();
        if self.webdriver == Some(true) {
            t.push("navigator.webdriver is true".to_string());
        }
        if self.user_agent.contains("Headless") {
            t.push("the user agent says Headless".into());
        }
        if self.screen[0] < self.window[0] || self.screen[1] < self.window[1] {
            t.push(format!(
                "the screen ({}×{}) is smaller than the window ({}×{})",
                self.screen[0], self.screen[1], self.window[0], self.window[1]
            ));
        }
        if self.languages.is_empty() {
            t.push("navigator.languages is empty".into());
        }
        t
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{}; languages {}; time zone {}; screen {}×{}, window {}×{} at {}x; touch points {}; webdriver {}",
            self.user_agent,
            self.languages.join(","),
            self.timezone,
            self.screen[0],
            self.screen[1],
            self.window[0],
            self.window[1],
            self.device_pixel_ratio,
            self.max_touch_points,
            self.webdriver
                .map_or_else(|| "undefined".to_string(), |w| w.to_string()),
        );
        if let Some(h) = &self.client_hints {
            s.push_str(&format!("; client hints {h}"));
        }
        let tells = self.tells();
        if !tells.is_empty() {
            s.push_str(&format!("; BOT TELLS: {}", tells.join(", ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_checked_and_canonical() {
        assert_eq!(parse_locale("de-DE").unwrap(), "de-DE");
        assert_eq!(parse_locale("de_de").unwrap(), "de-DE");
        assert_eq!(parse_locale("zh-hant-tw").unwrap(), "zh-Hant-TW");
        assert_eq!(parse_locale("es-419").unwrap(), "es-419");
        for bad in ["", "german", "de-", "d", "de-DE-x", "12-DE", "de DE"] {
            assert!(parse_locale(bad).is_err(), "{bad}");
        }
        assert_eq!(accept_language("de-DE"), "de-DE,de");
        assert_eq!(accept_language("fr"), "fr");
    }

    #[test]
    fn time_zones_geolocations_headers_and_proxies_are_checked() {
        assert!(parse_timezone("Europe/Berlin").is_ok());
        assert!(parse_timezone("UTC").is_ok());
        for bad in [
            "",
            "Europe/",
            "../etc/passwd",
            "Mars/Olympus Mons",
            "Europe/Nowhere",
        ] {
            assert!(parse_timezone(bad).is_err(), "{bad}");
        }
        let g = parse_geolocation("52.52,13.40").unwrap();
        assert_eq!((g.latitude, g.longitude, g.accuracy), (52.52, 13.40, 50.0));
        for bad in ["52.52", "91,0", "0,181", "a,b", "1,2,0", "1,2,3,4"] {
            assert!(parse_geolocation(bad).is_err(), "{bad}");
        }
        let h = parse_header("X-Audit:  yes ").unwrap();
        assert_eq!((h.name.as_str(), h.value.as_str()), ("X-Audit", "yes"));
        for bad in ["novalue", ": x", "Bad Name: x", "X: a\r\nInjected: 1"] {
            assert!(parse_header(bad).is_err(), "{bad}");
        }
        assert!(parse_proxy("http://127.0.0.1:8888").is_ok());
        assert!(parse_proxy("socks5://proxy.example:1080").is_ok());
        for bad in ["proxy:8080", "ftp://x:1", "http://user:pw@x:1", "http://"] {
            assert!(parse_proxy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn devices_are_named_and_mobile_is_a_pixel() {
        assert_eq!(Device::named("mobile").unwrap().name, "pixel-7");
        assert!(Device::named("mobile").unwrap().touch);
        assert!(!Device::default().mobile);
        let e = Device::named("nokia-3310").unwrap_err();
        assert!(e.contains("unknown device") && e.contains("desktop"), "{e}");
        for d in DEVICES {
            assert!(
                d.screen_width >= d.width && d.screen_height >= d.height,
                "{}",
                d.name
            );
        }
    }

    #[test]
    fn the_user_agent_is_the_real_version_without_headless() {
        let d = Device::default();
        let ua = user_agent_for(&d, "HeadlessChrome/156.0.8078.73");
        assert!(
            ua.contains("Chrome/156.0.0.0") && !ua.contains("Headless"),
            "{ua}"
        );
        let m = user_agent_for(&Device::named("mobile").unwrap(), "Chrome/156.0.8078.73");
        assert!(m.contains("Android") && m.contains("Mobile"), "{m}");
        let calls = Visitor::default().calls("HeadlessChrome/156.0.8078.73");
        let ua = &calls[0].1;
        assert_eq!(ua["userAgentMetadata"]["brands"][0]["version"], "156");
        assert_eq!(ua["userAgentMetadata"]["fullVersion"], "156.0.8078.73");
    }

    #[test]
    fn storage_states_are_read_and_errors_have_a_place() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("state.json");
        std::fs::write(
            &good,
            r#"{"cookies":[{"name":"sid","value":"1","domain":".shop.test","path":"/","expires":-1,"httpOnly":true,"secure":false,"sameSite":"Lax"}],
               "origins":[{"origin":"http://www.shop.test:8080","localStorage":[{"name":"returning","value":"yes"}]}]}"#,
        )
        .unwrap();
        let s = load_storage_state(&good).unwrap();
        assert_eq!(s.cookies[0].name, "sid");
        let v = Visitor {
            state: Some(s),
            ..Default::default()
        };
        let seed = v.seed_script().unwrap();
        assert!(seed.contains("http://www.shop.test:8080") && seed.contains("returning"));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"cookies\": [\n  {\"name\": 1}]}").unwrap();
        let e = load_storage_state(&bad).unwrap_err();
        assert!(e.contains("bad.json:2:"), "{e}");
        let e = load_storage_state(&dir.path().join("missing.json")).unwrap_err();
        assert!(e.contains("cannot read"), "{e}");
    }

    #[test]
    fn tells_name_what_gives_a_bot_away() {
        let bot = Seen {
            webdriver: Some(true),
            user_agent: "Mozilla/5.0 HeadlessChrome/156".into(),
            languages: vec!["en-US".into()],
            screen: [800, 600],
            window: [1280, 713],
            ..Default::default()
        };
        assert_eq!(bot.tells().len(), 3, "{:?}", bot.tells());
        let person = Seen {
            webdriver: Some(false),
            user_agent: "Mozilla/5.0 Chrome/156".into(),
            languages: vec!["en-US".into()],
            screen: [1920, 1080],
            window: [1280, 720],
            ..Default::default()
        };
        assert!(person.tells().is_empty());
    }
}
