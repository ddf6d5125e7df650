//! The page and its frames as the watcher last saw them: the frame tree, the main document's answer, the load, refused cookies.

use super::WatchState;
use super::event::{RefusedSetCookie, Response};
use serde::Serialize;

/// A frame of the page, as last navigated.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FrameInfo {
    pub id: String,
    pub parent: Option<String>,
    pub url: String,
    pub origin: String,
}

/// A cookie the browser refused to store (recorded as attempted, not set).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct BlockedCookie {
    pub name: String,
    pub domain: Option<String>,
    /// The response whose `Set-Cookie` was refused.
    pub url: String,
    pub reasons: Vec<String>,
}

/// The main document's HTTP answer.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DocumentResponse {
    pub url: String,
    pub status: i64,
    pub status_text: String,
    /// The answer's MIME type (`text/html`; a journey leaves other answers out).
    #[serde(default)]
    pub mime_type: String,
}

/// The handlers of the page's own events.
impl WatchState {
    /// `Page.frameNavigated`: a main frame's navigation starts a new document.
    pub(super) fn frame_navigated(&mut self, frame: FrameInfo) {
        if frame.parent.is_none() {
            self.main_frame = Some(frame.id.clone());
            self.load_fired = false;
            // A new document: the scripts that show a vendor are its own from here on.
            self.script_urls.clear();
        }
        self.frames.insert(frame.id.clone(), frame);
    }

    /// A response of a document: the main frame's is the page's HTTP answer.
    pub(super) fn document_answered(
        &mut self,
        resource_type: &str,
        frame: Option<&str>,
        r: &Response,
    ) {
        if resource_type == "Document" && frame.is_some() && frame == self.main_frame.as_deref() {
            self.document = Some(DocumentResponse {
                url: r.url.clone(),
                status: r.status.unwrap_or(0),
                status_text: r.status_text.clone(),
                mime_type: r.mime_type.clone(),
            });
        }
    }

    /// Cookies a response tried to set and the browser refused: the response is the request
    /// `id` still in flight.
    pub(super) fn set_cookies_refused(&mut self, id: &str, refused: Vec<RefusedSetCookie>) {
        for b in refused {
            let url = self
                .inflight
                .get(id)
                .map(|(_, u)| u.clone())
                .unwrap_or_default();
            self.blocked.push(BlockedCookie {
                name: b.name,
                domain: b.domain,
                url,
                reasons: b.reasons,
            });
        }
    }

    /// A `document.cookie` write the page hook saw refused.
    pub(super) fn cookie_write_refused(&mut self, name: String, origin: String) {
        self.blocked.push(BlockedCookie {
            name,
            domain: crate::vocab::host_of(&origin),
            url: origin,
            reasons: vec!["refused when set with document.cookie".into()],
        });
    }
}
