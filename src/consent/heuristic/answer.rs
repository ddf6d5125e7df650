//! Answering a banner found by sight the way a visitor would (through its settings where the
//! answer is not on its first layer), and checking that it left and stayed away.

use super::judge::{Candidate, ControlFacts, judge, preference, refusal_of};
use super::{ANSWERING, BannerSeen, Sight, Sighted, Stored, excerpt};
use crate::browser::dom::{self, Found, Worlds};
use crate::catalog::words::Control;
use crate::consent::{RecordKey, Refusal};
use serde_json::{Value, json};
use std::time::Duration;

/// How long (page time) a second layer may take to open after its settings control.
const SECOND_LAYER: Duration = Duration::from_secs(2);

/// How long (page time) the banner may take to leave after the answer, its exit transition included.
const LEAVE_BOUND: Duration = Duration::from_secs(3);

/// How long (page time) a banner that left must stay away to count.
const STAY_AWAY: Duration = Duration::from_millis(500);

/// How long (page time) a page that reloaded after the answer is watched for the banner's return.
const AFTER_RELOAD: Duration = Duration::from_secs(2);

/// How an answer by sight went.
#[derive(Debug, Default)]
pub struct Answered {
    pub banner: BannerSeen,
    /// The last control clicked, described (for the record's `element`).
    pub element: Option<String>,
    /// What the page did after the answer.
    pub outcome: String,
    pub verified: Vec<String>,
    pub done: bool,
    /// True when something was clicked.
    pub acted: bool,
    pub refusal: Option<Refusal>,
    pub record_keys: Vec<RecordKey>,
    /// The answer could not be given (no refusal offered, nothing to click); why.
    pub unanswered: Option<String>,
    pub tried: Vec<String>,
}

impl Sight<'_> {
    /// Answers the banner `s` the way a visitor would: the first-layer control for the answer,
    /// else through its settings (unticking, or ticking, its optional switches before saving);
    /// then checks that the banner left and stayed away, following a reload.
    pub fn answer(
        &self,
        worlds: &mut Worlds,
        s: &Sighted,
        reject: bool,
        top_context: Option<i64>,
    ) -> Answered {
        let mut out = Answered {
            banner: s.seen(),
            refusal: Some(refusal_of(&s.candidate)),
            ..Default::default()
        };
        let before = self.stored(worlds, &s.frame_id);
        let first = s.control(preference(reject)).cloned();
        let (banner, control) = match first {
            Some(c) => (s.clone(), c),
            None => {
                // An "OK"-only notice is acknowledged when accepting; a refusal it cannot give.
                if !reject && let Some(ok) = s.control(&[Control::Acknowledge]).cloned() {
                    (s.clone(), ok)
                } else if s.candidate.toggles > 0
                    && let Some(save) = s.control(&[Control::Save]).cloned()
                {
                    // Switches and "save" on the first layer: set them, then save.
                    self.set_switches(worlds, s, reject, &mut out);
                    (s.clone(), save)
                } else if let Some(settings) = s.control(&[Control::Settings]).cloned() {
                    match self.second_layer(worlds, s, &settings, reject, &mut out) {
                        Some(pair) => pair,
                        None => return out,
                    }
                } else {
                    out.unanswered = Some(
                        if reject && refusal_of(&s.candidate) == Refusal::OtherPage {
                            let link = s
                                .candidate
                                .controls
                                .iter()
                                .find(|x| x.navigates && x.class.is_some())
                                .map_or(String::new(), |x| format!(" (\"{}\")", x.label));
                            format!(
                                "the banner offers no refusal on this page: its settings{link} are a link to another page, which the scan does not follow"
                            )
                        } else if reject {
                            "the banner offers no way to refuse (no reject, \"only necessary\" or settings control)".into()
                        } else if s.candidate.controls.is_empty() {
                            "none of its controls has words the vocabulary knows".into()
                        } else {
                            "the banner offers no accept control".into()
                        },
                    );
                    return out;
                }
            }
        };
        if !self.click(worlds, &banner, &control, &mut out) {
            return out;
        }
        self.check(worlds, &banner, &before, top_context, &mut out);
        out
    }

    /// Checks an answer given to `banner`: it must leave and stay away (a reload followed); the
    /// keys written since `before` that speak of consent are the banner's own record.
    pub fn check(
        &self,
        worlds: &mut Worlds,
        banner: &Sighted,
        before: &Stored,
        top_context: Option<i64>,
        out: &mut Answered,
    ) {
        self.verify(worlds, banner, top_context, out);
        let after = self.stored(worlds, &banner.frame_id);
        out.record_keys = self.written(before, &after);
        if out.done {
            return;
        }
        // Still shown: some banners keep a bar or a confirmation on screen once answered. The
        // answer took when the banner no longer offers a choice, or when it wrote its record.
        let same =
            self.look(worlds).banners.into_iter().find(|s| {
                s.frame_id == banner.frame_id && s.candidate.label == banner.candidate.label
            });
        if let Some(now) = same
            && now.control(&ANSWERING).is_none()
        {
            out.verified.push(format!(
                "the banner stayed, showing no choice any more: \"{}\"",
                excerpt(&now.candidate.text, 80)
            ));
            out.outcome = "the banner replaced its choices with a confirmation".into();
            out.done = true;
        } else if !out.record_keys.is_empty() {
            let names: Vec<&str> = out.record_keys.iter().map(|k| k.name.as_str()).collect();
            out.verified.push(format!(
                "the answer wrote the banner's record ({})",
                names.join(", ")
            ));
            out.outcome = format!(
                "the banner is still shown, but the answer wrote its record ({})",
                names.join(", ")
            );
            out.done = true;
        }
    }

    /// The banner around an element a user's selector or text found, if it is in one.
    pub fn around(&self, worlds: &mut Worlds, found: &Found) -> Option<Sighted> {
        let v = self
            .ask(
                worlds,
                &found.frame_id,
                json!({ "op": "containerOf", "target": found.key }),
            )
            .ok()?;
        let candidate: Candidate = serde_json::from_value(v).ok()?;
        let judgement = judge(&candidate);
        Some(Sighted {
            frame_id: found.frame_id.clone(),
            frame_url: found.frame_url.clone(),
            top: found.top,
            candidate,
            judgement,
        })
    }

    /// Opens the settings and finds the control that answers there; for a refusal with no
    /// reject there, unticks the optional switches and saves (accepting: ticks them).
    fn second_layer(
        &self,
        worlds: &mut Worlds,
        first: &Sighted,
        settings: &ControlFacts,
        reject: bool,
        out: &mut Answered,
    ) -> Option<(Sighted, ControlFacts)> {
        if !self.click(worlds, first, settings, out) {
            return None;
        }
        out.banner.layers = 2;
        let wanted: Vec<Control> = preference(reject)
            .iter()
            .copied()
            .chain([Control::Save])
            .collect();
        let mut layer: Option<Sighted> = None;
        let opened = worlds.wait(SECOND_LAYER, |w| {
            let look = self.look(w);
            layer = look
                .banners
                .into_iter()
                .filter(|b| b.judgement.declined.is_none() || !b.candidate.topic.is_empty())
                .find(|b| b.control(&wanted).is_some() || b.candidate.toggles > 0);
            layer.is_some()
        });
        let Some(layer) = layer.filter(|_| opened) else {
            // Looked behind the settings and found no way to refuse there: said so, as seen.
            if reject {
                out.refusal = Some(Refusal::None);
            }
            out.unanswered = Some(format!(
                "its settings opened no layer with a {} control within {:.1} s",
                if reject {
                    "refusal or save"
                } else {
                    "accept or save"
                },
                SECOND_LAYER.as_secs_f64()
            ));
            return None;
        };
        if let Some(direct) = layer.control(preference(reject)).cloned() {
            return Some((layer, direct));
        }
        // Only "save": set the switches as the answer wants them first.
        self.set_switches(worlds, &layer, reject, out);
        if let Some(save) = layer.control(&[Control::Save]).cloned() {
            return Some((layer, save));
        }
        // Some banners offer their save (or relabel their main button) only once a switch moved.
        let mut found = None;
        worlds.wait(SECOND_LAYER, |w| {
            found = self
                .look(w)
                .banners
                .into_iter()
                .find_map(|b| b.control(&wanted).cloned().map(|c| (b, c)));
            found.is_some()
        });
        if found.is_none() {
            out.unanswered = Some(format!(
                "its settings show switches but no {} control",
                if reject {
                    "refusal or save"
                } else {
                    "accept or save"
                }
            ));
        }
        found
    }

    /// Sets the banner's optional switches as the answer wants them: off for a refusal (the
    /// strictly necessary ones, disabled or named so, stay as they are), on for an acceptance.
    fn set_switches(&self, worlds: &mut Worlds, layer: &Sighted, reject: bool, out: &mut Answered) {
        let toggles = self
            .ask(
                worlds,
                &layer.frame_id,
                json!({ "op": "toggles", "key": layer.candidate.key, "want": !reject }),
            )
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        for t in toggles {
            let (Some(handle), Some(input)) = (
                t.get("key").and_then(Value::as_str),
                t.get("input").and_then(Value::as_str),
            ) else {
                continue;
            };
            let label = t.get("label").and_then(Value::as_str).unwrap_or_default();
            let found = Found {
                frame_id: layer.frame_id.clone(),
                frame_url: layer.frame_url.clone(),
                top: layer.top,
                key: handle.to_string(),
                label: format!("the switch \"{}\"", excerpt(label, 40)),
            };
            match dom::click(worlds, &found) {
                Ok(how) => {
                    let now = self
                        .ask(
                            worlds,
                            &layer.frame_id,
                            json!({ "op": "checked", "key": input }),
                        )
                        .ok()
                        .and_then(|v| v.as_bool());
                    let verb = if reject { "unticked" } else { "ticked" };
                    if now != Some(!reject) {
                        out.tried.push(format!(
                            "{} did not change when clicked ({how})",
                            found.label
                        ));
                    } else {
                        out.banner
                            .clicked
                            .push(format!("{verb} {} ({how})", found.label));
                    }
                }
                Err(e) => out.tried.push(format!("{}: {e}", found.label)),
            }
        }
    }

    /// Clicks one control of a banner; false (with the reason recorded) when it could not be.
    fn click(
        &self,
        worlds: &mut Worlds,
        banner: &Sighted,
        control: &ControlFacts,
        out: &mut Answered,
    ) -> bool {
        let found = banner.found(control);
        match dom::click(worlds, &found) {
            Ok(how) => {
                let class = control.class.map_or("?".into(), |c| c.to_string());
                let words = control
                    .phrase
                    .as_deref()
                    .map_or(String::new(), |p| format!(" (words: \"{p}\")"));
                let what = format!(
                    "{class}: {} {}{words}, by {how}",
                    found.label,
                    banner.place()
                );
                out.banner.clicked.push(what.clone());
                out.element = Some(what);
                out.acted = true;
                true
            }
            Err(e) => {
                out.unanswered = Some(format!("clicking {} failed: {e}", found.label));
                false
            }
        }
    }

    /// After the last click: the banner must leave (its exit transition may run first) and stay
    /// away, on the page's clock; a page that reloads is followed and looked at again.
    fn verify(
        &self,
        worlds: &mut Worlds,
        banner: &Sighted,
        top_context: Option<i64>,
        out: &mut Answered,
    ) {
        let navigated = |w: &Worlds| top_context.is_some_and(|c| !w.alive(c));
        let (frame, key) = (banner.frame_id.as_str(), banner.candidate.key.as_str());
        let mut state = None;
        let mut nav = false;
        let left = worlds.wait(LEAVE_BOUND, |w| {
            nav = navigated(w);
            if nav {
                return true;
            }
            state = self.shown(w, frame, key);
            // Gone, or its document replaced; still shown, even while moving, is not yet gone.
            !matches!(state, Some((true, _)))
        });
        if nav || (state.is_none() && navigated(worlds)) {
            self.after_reload(worlds, banner, out);
            return;
        }
        if !left {
            let moving = matches!(state, Some((_, true)));
            out.outcome = format!(
                "the banner is still shown {:.1} s (page time) after the answer{}",
                LEAVE_BOUND.as_secs_f64(),
                if moving { ", still moving" } else { "" }
            );
            return;
        }
        out.verified.push("the banner left".into());
        // It must stay away: a banner that comes back did not take the answer.
        let mut back = false;
        let mut nav = false;
        worlds.wait(STAY_AWAY, |w| {
            nav = navigated(w);
            back = !nav && matches!(self.shown(w, frame, key), Some((true, false)));
            nav || back
        });
        if nav {
            self.after_reload(worlds, banner, out);
            return;
        }
        if back {
            out.outcome = "the banner re-appeared".into();
            return;
        }
        out.verified.push(format!(
            "it stayed away {:.1} s (page time)",
            STAY_AWAY.as_secs_f64()
        ));
        out.outcome = "the banner closed".into();
        out.done = true;
    }

    /// The page reloaded after the answer: the banner must not show again on the new page.
    fn after_reload(&self, worlds: &mut Worlds, banner: &Sighted, out: &mut Answered) {
        out.verified
            .push("the page reloaded after the answer".into());
        let same = |s: &Sighted| {
            s.judgement.declined.is_none()
                && s.candidate.label == banner.candidate.label
                && s.candidate.topic == banner.candidate.topic
        };
        let page = worlds.page();
        let call_timeout = worlds.call_timeout;
        let mut again = false;
        worlds.wait(AFTER_RELOAD, |w| {
            let loaded = page
                .evaluate("document.readyState", call_timeout)
                .is_ok_and(|v| v == "complete");
            again = loaded && self.look(w).banners.iter().any(same);
            again
        });
        if again {
            out.outcome = "the page reloaded and showed the banner again".into();
        } else {
            out.verified.push(format!(
                "the reloaded page showed no banner for {:.1} s (page time)",
                AFTER_RELOAD.as_secs_f64()
            ));
            out.outcome = "the page reloaded without the banner".into();
            out.done = true;
        }
    }
}
