//! The visitor the page sees: a desktop or mobile Chrome user with a language, time zone, place, headers and starting state — never a bot.
//!
//! Everything here is applied per page over CDP (user agent and client hints, screen, locale,
//! time zone, geolocation, touch, headers, the automation flag, a starting cookie jar and
//! storage), so it holds in a browser chatcookie launched and in a farm's browser it connects
//! to alike. What the page then saw is read back from it ([`Seen`]) for the report.

mod device;
mod emulation;
mod parse;
mod seen;
mod storage_state;

pub use device::{DEVICES, Device, user_agent_for};
pub use emulation::NOT_AUTOMATED;
pub use parse::{
    accept_language, check_proxy_reachable, parse_geolocation, parse_header, parse_locale,
    parse_proxy, parse_timezone,
};
pub use seen::Seen;
pub use storage_state::{StateCookie, StateItem, StateOrigin, StorageState, load_storage_state};

use serde::Serialize;

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

impl Visitor {
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

#[cfg(test)]
mod tests;
