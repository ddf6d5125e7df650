//! The devices a visitor browses with (`--device`): viewport, screen, touch and the Chrome user agent each sends.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

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
    pub(super) ua: &'static str,
    /// Client-hint model (empty on desktops).
    #[serde(skip)]
    pub(super) model: &'static str,
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
    pub fn named(name: &str) -> Result<Device> {
        let want = if name == "mobile" { "pixel-7" } else { name };
        DEVICES
            .iter()
            .find(|d| d.name == want)
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = DEVICES.iter().map(|d| d.name).collect();
                Error::usage(format!(
                    "unknown device `{name}` (known: mobile, {})",
                    names.join(", ")
                ))
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

/// The user agent a real Chrome of `product` (e.g. `HeadlessChrome/156.0.8078.73`) sends on `device`.
pub fn user_agent_for(device: &Device, product: &str) -> String {
    device.ua.replace("{v}", major_version(product))
}

pub(super) fn major_version(product: &str) -> &str {
    let full = product.rsplit('/').next().unwrap_or("0");
    full.split('.').next().unwrap_or("0")
}

pub(super) fn full_version(product: &str) -> &str {
    product.rsplit('/').next().unwrap_or("0.0.0.0")
}
