//! Consent managers (CMPs): recognise a page's cookie banner from rules, accept or reject it, and record how.
//!
//! The rules are data (`catalog/cmps.toml`, extendable with `--cmp-rules FILE`, see
//! [`rules`]); [`auto_consent`] applies them in the page and every frame, [`click_by_text`]
//! answers a banner no rule covers by its button's text.

mod auto;
mod heuristic;
mod text;

pub use crate::catalog::cmp::{
    self as rules, Chain, Cmp, CmpRules, Detect, Record, RuleStep, Targets,
};
pub use crate::catalog::words::{BannerWords, Control};
pub use heuristic::{BannerSeen, Judgement};

use crate::browser::cdp::Page;
use crate::browser::watch::FrameInfo;
use crate::vocab::StorageKind;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the consent step came to, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentResult {
    /// No banner on the page: no consent manager detected and none seen by sight.
    NoBanner,
    /// A banner was seen but not answered (`outcome` says why).
    Unanswered,
    /// The banner was answered (`done` says whether the answer took).
    Answered,
}

/// How the banner was found and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerMethod {
    /// A consent-manager rule (`catalog/cmps.toml`, imported or user rules).
    Rule,
    /// By sight: the banner and its controls recognised by their words (`catalog/banner-words.toml`).
    Heuristic,
    /// The user's CSS selector (`--consent-click`, `--reject-click`).
    Selector,
    /// The user's script (`--consent-js`, `--reject-js`).
    Script,
    /// The user's button text (`--consent-text`).
    Text,
}

/// Whether a banner offers the visitor a way to refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// A reject, "only necessary" or "continue without accepting" beside the accept.
    FirstLayer,
    /// Only behind its settings.
    SecondLayer,
    /// Not on this page: its settings are a link to another page (not followed).
    OtherPage,
    /// No way to refuse at all (an "OK"-only notice, accept only).
    None,
}

/// A key the answer itself wrote: the banner's own record of the choice.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordKey {
    pub storage: StorageKind,
    pub name: String,
}

/// What automatic consent did, for the report: which CMP, which rule, which element, and what was tried.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// `no-banner`, `unanswered` or `answered` (absent in reports of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ConsentResult>,
    /// How the banner was found and answered: `rule`, `heuristic`, `selector`, `script`, `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<AnswerMethod>,
    /// The banner as seen by sight (heuristic answers, and the banner around a user's click).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<BannerSeen>,
    /// Look-alikes and candidates that were not answered, and why (a newsletter form, a chat
    /// invitation, a dialog that does not speak of cookies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<String>,
    /// Whether the banner offers a way to refuse, where the scan could tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// Every gesture the visitor made on the page before the answer (none of them a click).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gestures_before: Vec<String>,
    /// Keys first written by the answer itself whose name or value speaks of consent: the
    /// banner's own record of the choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub record_keys: Vec<RecordKey>,
    /// How the answer was checked: the banner gone and staying gone, a reload followed, the
    /// record read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified: Vec<String>,
    /// CMP ids detected on the page (possibly several), in rule order.
    pub detected: Vec<String>,
    /// The CMP whose rule answered the banner last (see `done` for whether it took).
    pub cmp: Option<String>,
    /// `accept step N` or `reject step N`: the sequence and the step that clicked (or evaluated).
    pub rule: Option<String>,
    /// The selector chain (or text) clicked, the element it found, in which frame, and how.
    pub element: Option<String>,
    /// What the page did after the answer: the banner closed, the page navigated, or not.
    pub outcome: Option<String>,
    /// Every candidate that failed, and why (missing, hidden, disabled, threw, re-appeared).
    pub tried: Vec<String>,
    /// What the CMP's own consent record says was chosen (`accept`, `reject`, `partial`), read
    /// after the answer; absent when the CMP has no readable record or wrote none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<String>,
    /// True when the answer took: the banner closed (and stayed closed) or the page navigated,
    /// and the CMP's record, where it has one, holds the choice asked for.
    pub done: bool,
    /// The visitor's gestures that preceded the banner, when it showed only after them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gesture: Option<String>,
    pub duration_ms: u64,
    /// How old the page was by its own clock when the automatic answer stopped looking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_age_ms: Option<u64>,
    /// At the `withdraw` step: how the settings were reopened (the CMP's control, its
    /// documented call, `--withdraw-click`, a link by its words) before the refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened: Option<String>,
}

impl ConsentRecord {
    /// One line for the consent step's detail: which CMP, which rule and which element did it.
    pub fn summary(&self, rules: &CmpRules, reject: bool) -> String {
        let name = |id: &str| {
            rules
                .get(id)
                .map_or_else(|| id.to_string(), |c| format!("{} ({id})", c.name))
        };
        let looked = match self.page_age_ms {
            // On the fast clock the page lived longer than the wall clock shows: say both.
            Some(age) => format!(
                "until the page was {:.1} s old by its own clock, {:.1} s of real time",
                age as f64 / 1000.0,
                self.duration_ms as f64 / 1000.0
            ),
            None => format!("for {:.1} s", self.duration_ms as f64 / 1000.0),
        };
        let declined = if self.declined.is_empty() {
            String::new()
        } else {
            format!(" [declined: {}]", self.declined.join("; "))
        };
        if self.method == Some(AnswerMethod::Heuristic) || self.detected.is_empty() {
            return self.summary_by_sight(rules, reject, &looked, &declined);
        }
        let tried = if self.tried.is_empty() {
            String::new()
        } else {
            format!(" [tried: {}]", self.tried.join("; "))
        };
        match (&self.cmp, &self.rule, &self.element) {
            (Some(cmp), Some(rule), Some(element)) => {
                let verb = if reject { "rejected" } else { "accepted" };
                let outcome = self.outcome.as_deref().unwrap_or("unverified");
                let recorded = self
                    .recorded
                    .as_ref()
                    .filter(|_| self.done)
                    .map_or_else(String::new, |r| format!("; {cmp} recorded `{r}`"));
                if self.done {
                    format!(
                        "{verb} through {}, {rule}: {element}; {outcome}{recorded}{tried}",
                        name(cmp)
                    )
                } else {
                    format!(
                        "answered {}, {rule}: {element}, but {outcome}{tried}",
                        name(cmp)
                    )
                }
            }
            _ => format!(
                "detected {}, but could not {}{tried}",
                self.detected
                    .iter()
                    .map(|id| name(id))
                    .collect::<Vec<_>>()
                    .join(", "),
                if reject { "reject" } else { "accept" }
            ),
        }
    }

    /// The summary of an answer by sight, or of a page where nothing was answered.
    fn summary_by_sight(
        &self,
        rules: &CmpRules,
        reject: bool,
        looked: &str,
        declined: &str,
    ) -> String {
        let tried = if self.tried.is_empty() {
            String::new()
        } else {
            format!(" [tried: {}]", self.tried.join("; "))
        };
        let outcome = self.outcome.as_deref().unwrap_or("unverified");
        match (self.result, &self.banner) {
            (Some(ConsentResult::Answered), Some(b)) => {
                let verb = if reject { "rejected" } else { "accepted" };
                let clicked = b.clicked.join(", then ");
                let how = format!(
                    "by sight (no consent-manager rule matched): the banner {} (a guess, confidence {:.2}: {})",
                    b.element,
                    b.confidence,
                    b.grounds.join(", ")
                );
                if self.done {
                    format!("{verb} {how}; clicked {clicked}; {outcome}{tried}{declined}")
                } else {
                    format!("answered {how}; clicked {clicked}; but {outcome}{tried}{declined}")
                }
            }
            (Some(ConsentResult::Unanswered), _) => {
                format!("a banner was seen but not answered: {outcome}{tried}{declined}")
            }
            _ => format!(
                "no banner: no consent manager detected ({} known) and no cookie banner seen by sight (looked {looked}){tried}{declined}",
                rules.cmps().len()
            ),
        }
    }

    /// True when something was clicked or evaluated (whether or not it took).
    pub fn acted(&self) -> bool {
        self.element.is_some()
    }
}

/// Detects CMPs and performs `action` (accept or reject) through the first rule that works, falling back to the next candidate.
///
/// Bounded by `step_timeout` (the check that a click took may run up to two seconds past it):
/// detection looks once, then until the page is three seconds old by its own `clock` (which
/// may run ahead of real time, see `browser::clock`) when nothing is found; a detected
/// CMP's banner is awaited; each step waits at most half the step; every CDP call is bounded by
/// `call_timeout`. Cross-origin frames are searched through their isolated worlds.
// The page, what to answer and three bounds: grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn auto_consent(
    page: &Page,
    frames: &[FrameInfo],
    rules: &CmpRules,
    reject: bool,
    step_timeout: Duration,
    call_timeout: Duration,
    clock: &crate::browser::clock::PageClock,
    gestures: &mut crate::browser::input::Gestures,
    words: &BannerWords,
) -> ConsentRecord {
    auto::auto_consent(
        page,
        frames,
        rules,
        reject,
        step_timeout,
        call_timeout,
        clock,
        gestures,
        words,
    )
}

pub use auto::{UserAnswer, banner_showing, user_answer, withdraw};

/// Finds a visible button/link/[role=button] by its visible text (case-insensitive, trimmed, exact or contains) in the page, its open shadow roots and all its frames, and clicks it.
///
/// An exact match wins over one that contains the text; polls until `step_timeout`. Returns what
/// was clicked, where and how. An empty text is an input error; nothing to click in time, a site
/// error; a page that cannot be asked or clicked in, a browser error.
pub fn click_by_text(
    page: &Page,
    frames: &[FrameInfo],
    text: &str,
    step_timeout: Duration,
    call_timeout: Duration,
) -> crate::error::Result<String> {
    text::click_by_text(page, frames, text, step_timeout, call_timeout)
}

/// Finds the first visible, enabled element matching a CSS selector in the page, its open
/// shadow roots and all its frames (cross-origin included), and clicks it with the mouse — the
/// same search and click the automatic rules use. Polls until `step_timeout`. A selector that
/// does not parse is an input error; nothing to click in time, a site error; a page that cannot
/// be asked or clicked in, a browser error.
pub fn click_selector(
    page: &Page,
    frames: &[FrameInfo],
    selector: &str,
    step_timeout: Duration,
    call_timeout: Duration,
) -> crate::error::Result<String> {
    text::click_selector(page, frames, selector, step_timeout, call_timeout)
}

/// Focuses the chat's message box (a textarea, text input or contenteditable whose attributes
/// speak of a message or chat; with `any`, the first usable one) in the page, its shadow roots
/// or any frame. Returns the element and frame it focused.
pub fn focus_message_box(
    page: &Page,
    frames: &[FrameInfo],
    any: bool,
    call_timeout: Duration,
) -> Option<String> {
    let mut worlds = crate::browser::dom::Worlds::new(page, frames, call_timeout);
    let mut out = None;
    // Frames last in tree order first: a chat's own frame is added after the page's.
    let mut all = worlds.frames();
    all.reverse();
    for frame in all {
        if let Ok(v) = worlds.run(&frame.id, serde_json::json!({ "op": "input", "any": any }))
            && v.get("state").and_then(serde_json::Value::as_str) == Some("ready")
        {
            let label = v
                .get("label")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            let url = v
                .get("url")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            out = Some(format!("{label} in {url}"));
            break;
        }
    }
    worlds.release();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_say_which_cmp_rule_and_element() {
        let rules = CmpRules::embedded().unwrap();
        let none = ConsentRecord {
            duration_ms: 3000,
            ..Default::default()
        };
        // Nothing detected and nothing seen: said as "no banner", apart from a banner seen.
        let s = none.summary(&rules, false);
        assert!(
            s.starts_with("no banner: no consent manager detected") && s.contains("by sight"),
            "{s}"
        );
        let seen = ConsentRecord {
            result: Some(ConsentResult::Unanswered),
            outcome: Some("the banner offers no way to refuse".into()),
            ..Default::default()
        };
        let s = seen.summary(&rules, true);
        assert!(
            s.starts_with("a banner was seen but not answered: the banner offers no way"),
            "{s}"
        );
        let by_sight = ConsentRecord {
            result: Some(ConsentResult::Answered),
            method: Some(AnswerMethod::Heuristic),
            banner: Some(BannerSeen {
                element: "<div#cb> in the top frame".into(),
                confidence: 0.9,
                grounds: vec!["speaks of cookies".into()],
                clicked: vec!["necessary: <button#r> \"nur notwendige\"".into()],
                ..Default::default()
            }),
            outcome: Some("the banner closed".into()),
            done: true,
            ..Default::default()
        };
        let s = by_sight.summary(&rules, true);
        assert!(
            s.starts_with("rejected by sight (no consent-manager rule matched): the banner <div#cb> in the top frame (a guess, confidence 0.90"),
            "{s}"
        );
        assert!(s.contains("clicked necessary: <button#r>"), "{s}");
        let done = ConsentRecord {
            detected: vec!["onetrust".into()],
            cmp: Some("onetrust".into()),
            rule: Some("reject step 1".into()),
            element: Some("`#onetrust-reject-all-handler` → <button>".into()),
            outcome: Some("the banner closed".into()),
            done: true,
            ..Default::default()
        };
        let s = done.summary(&rules, true);
        assert!(
            s.starts_with("rejected through OneTrust (onetrust), reject step 1: `#onetrust-reject-all-handler`"),
            "{s}"
        );
        let failed = ConsentRecord {
            detected: vec!["didomi".into()],
            tried: vec!["didomi: accept step 1 (wait_click): hidden".into()],
            ..Default::default()
        };
        let s = failed.summary(&rules, false);
        assert!(
            s.contains("detected Didomi (didomi), but could not accept"),
            "{s}"
        );
        assert!(s.contains("hidden"), "{s}");
    }
}
