//! A reader's input: mouse moves, scrolling, touches and typing, sent as real input events.
//!
//! Many sites load their chat widget (or consent banner) only on the visitor's first
//! interaction, to keep the first paint fast; a scan that never moves sees a site without them.

use super::cdp::{CdpError, Page};
use serde_json::json;
use std::time::Duration;

/// One interaction a visitor makes with the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gesture {
    /// The mouse crosses the page.
    MouseMove,
    /// The page is scrolled down a screen and back.
    Scroll,
    /// A finger taps and swipes (mobile devices).
    Touch,
}

impl Gesture {
    pub fn as_str(self) -> &'static str {
        match self {
            Gesture::MouseMove => "mouse move",
            Gesture::Scroll => "scroll",
            Gesture::Touch => "touch",
        }
    }

    /// The gestures a visitor on this kind of device makes, in the order they come.
    pub fn for_device(touch: bool) -> &'static [Gesture] {
        if touch {
            &[Gesture::Touch, Gesture::Scroll]
        } else {
            &[Gesture::MouseMove, Gesture::Scroll]
        }
    }

    /// Performs the gesture in a `width`×`height` viewport.
    pub fn perform(
        self,
        page: &Page,
        width: u32,
        height: u32,
        timeout: Duration,
    ) -> Result<(), CdpError> {
        let (w, h) = (f64::from(width), f64::from(height));
        match self {
            Gesture::MouseMove => {
                // A few points along a diagonal, as a hand moving the mouse produces.
                for i in 1..=4 {
                    let f = f64::from(i) / 5.0;
                    page.call(
                        "Input.dispatchMouseEvent",
                        json!({ "type": "mouseMoved", "x": w * f, "y": h * f * 0.8 }),
                        timeout,
                    )?;
                }
                Ok(())
            }
            Gesture::Scroll => {
                let (x, y) = (w / 2.0, h / 2.0);
                for delta in [h * 0.6, -h * 0.6] {
                    page.call(
                        "Input.dispatchMouseEvent",
                        json!({ "type": "mouseWheel", "x": x, "y": y, "deltaX": 0, "deltaY": delta }),
                        timeout,
                    )?;
                }
                Ok(())
            }
            Gesture::Touch => {
                let (x, y) = (w / 2.0, h * 0.7);
                page.call(
                    "Input.dispatchTouchEvent",
                    json!({ "type": "touchStart", "touchPoints": [{ "x": x, "y": y }] }),
                    timeout,
                )?;
                page.call(
                    "Input.dispatchTouchEvent",
                    json!({ "type": "touchMove", "touchPoints": [{ "x": x, "y": y - h * 0.2 }] }),
                    timeout,
                )?;
                page.call(
                    "Input.dispatchTouchEvent",
                    json!({ "type": "touchEnd", "touchPoints": [] }),
                    timeout,
                )?;
                Ok(())
            }
        }
    }
}

/// The gestures made on one page so far: each is made once per scan, and a step that found
/// something after one says which.
#[derive(Debug, Clone, Default)]
pub struct Gestures {
    pub touch: bool,
    pub width: u32,
    pub height: u32,
    pub done: Vec<Gesture>,
}

impl Gestures {
    pub fn new(touch: bool, width: u32, height: u32) -> Gestures {
        Gestures {
            touch,
            width,
            height,
            done: Vec::new(),
        }
    }

    /// The next gesture not yet made, made now; None once all were made.
    pub fn next(&mut self, page: &Page, timeout: Duration) -> Option<Gesture> {
        let g = Gesture::for_device(self.touch)
            .iter()
            .copied()
            .find(|g| !self.done.contains(g))?;
        // A gesture that fails (a busy renderer) still counts as made: it is not retried forever.
        let _ = g.perform(page, self.width, self.height, timeout);
        self.done.push(g);
        Some(g)
    }

    /// True once every gesture of the device was made.
    pub fn exhausted(&self) -> bool {
        Gesture::for_device(self.touch)
            .iter()
            .all(|g| self.done.contains(g))
    }

    /// "after the visitor's mouse move, scroll", or "" when none was made.
    pub fn describe(&self) -> String {
        if self.done.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = self.done.iter().map(|g| g.as_str()).collect();
        format!("after the visitor's {}", names.join(", "))
    }
}

/// Types `text` into the focused element and presses Enter, as a keyboard would.
pub fn type_and_enter(page: &Page, text: &str, timeout: Duration) -> Result<(), CdpError> {
    page.call("Input.insertText", json!({ "text": text }), timeout)?;
    for kind in ["keyDown", "keyUp"] {
        let mut p = json!({
            "type": kind,
            "key": "Enter",
            "code": "Enter",
            "windowsVirtualKeyCode": 13,
            "nativeVirtualKeyCode": 13,
        });
        if kind == "keyDown" {
            p["text"] = "\r".into();
        }
        page.call("Input.dispatchKeyEvent", p, timeout)?;
    }
    Ok(())
}
