//! Applying a visitor to a page: the CDP calls that make the page see its device, user agent, language, place and headers.

use super::Visitor;
use super::device::{full_version, major_version, user_agent_for};
use super::parse::accept_language;
use super::storage_state::cookie_param;
use serde_json::{Value, json};

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
}

/// The script that makes `navigator.webdriver` false in every document, for browsers whose
/// launch flags are not ours (a farm's): the flag is how automation announces itself.
pub const NOT_AUTOMATED: &str = "(() => { try { const d = Object.getOwnPropertyDescriptor(Navigator.prototype, 'webdriver'); if (d && d.get && navigator.webdriver) Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true, enumerable: true }); } catch (e) {} })()";
