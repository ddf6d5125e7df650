//! What the page saw of its visitor, read back from it, and the bot tells in it.

use crate::browser::cdp::{CdpError, Page};
use serde::{Deserialize, Serialize};
use std::time::Duration;

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
