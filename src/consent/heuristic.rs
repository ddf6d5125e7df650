//! Banners no rule knows, answered by sight: find the banner a visitor sees by its words, judge it, click through its layers, check the answer took.
//!
//! The page-side search (banner.js) reports facts in every frame: elements whose own words
//! speak of cookies, consent or privacy, how they are placed, and the controls they offer with
//! the meaning of their words (`catalog/banner-words.toml`). [`judge`] decides, in plain Rust
//! that the unit tests exercise, whether a candidate is a cookie banner and how sure that is;
//! [`Sight`] then answers it the way a visitor would and verifies the answer.

mod answer;
mod judge;
mod record;

pub use answer::Answered;
pub use judge::{Judgement, refusal_of};

use judge::{Candidate, ControlFacts, Lookalike, judge};
use record::is_record_name;

use super::RecordKey;
use crate::browser::dom::{Found, Worlds};
use crate::catalog::words::{Control, Prepared};
use crate::error::Result;
use crate::vocab::StorageKind;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The page-side search (see its opening comment).
const BANNER_JS: &str = include_str!("banner.js");

/// The controls that make a choice (a confirmation that replaced them offers none).
const ANSWERING: [Control; 6] = [
    Control::Accept,
    Control::Reject,
    Control::Necessary,
    Control::ContinueWithout,
    Control::Save,
    Control::Settings,
];

/// What one frame showed.
#[derive(Debug, Clone, Deserialize)]
struct FrameSight {
    url: String,
    #[serde(default)]
    banners: Vec<Candidate>,
    #[serde(default)]
    lookalikes: Vec<Lookalike>,
}

/// The banner the report shows: where it was, what it said, what it offered and what was clicked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BannerSeen {
    /// The element (tag, id, classes) and where: the top frame or a frame's URL.
    pub element: String,
    /// The beginning of its text.
    pub text: String,
    /// The words that made it a cookie banner.
    pub words: Vec<String>,
    /// Its controls and what their words mean (`accept: "alle akzeptieren"`).
    pub controls: Vec<String>,
    /// How sure the scan is that it is a cookie banner (1.0 for a banner around a user's click).
    pub confidence: f64,
    /// What the confidence rests on.
    pub grounds: Vec<String>,
    /// The controls clicked, in order, each with the words it matched and how it was clicked.
    pub clicked: Vec<String>,
    /// The layers the answer went through (1, or 2 through its settings).
    pub layers: u8,
    /// The language its document declares (`<html lang>`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A candidate in one frame, judged.
#[derive(Debug, Clone)]
pub struct Sighted {
    pub frame_id: String,
    pub frame_url: String,
    pub top: bool,
    pub candidate: Candidate,
    pub judgement: Judgement,
}

impl Sighted {
    fn place(&self) -> String {
        if self.top {
            "in the top frame".into()
        } else {
            format!("in frame {}", self.frame_url)
        }
    }

    pub fn seen(&self) -> BannerSeen {
        let c = &self.candidate;
        BannerSeen {
            element: format!("{} {}", c.label, self.place()),
            text: excerpt(&c.text, 160),
            words: c.topic.iter().chain(&c.privacy).cloned().collect(),
            controls: c
                .controls
                .iter()
                .map(|x| match (&x.class, &x.phrase) {
                    (Some(class), Some(_)) if x.guessed => {
                        format!("{class} (guessed from its words): \"{}\"", x.label)
                    }
                    (Some(class), Some(p)) if x.languages.is_empty() => format!("{class}: \"{p}\""),
                    (Some(class), Some(p)) => {
                        format!("{class}: \"{}\" ({}: {p})", x.label, x.languages.join("/"))
                    }
                    _ => format!("not-banner: \"{}\"", x.label),
                })
                .chain(
                    c.unknown_controls
                        .iter()
                        .map(|l| format!("unknown: \"{l}\"")),
                )
                .collect(),
            confidence: self.judgement.confidence,
            grounds: self.judgement.grounds.clone(),
            clicked: Vec::new(),
            layers: 1,
            language: (!c.lang.is_empty()).then(|| c.lang.clone()),
        }
    }

    /// The control of the first class in `classes` the banner offers (never one whose own
    /// words say it is not a banner's: "subscribe", "start chat").
    /// A control in plain view wins over one something covers (it is then activated, not
    /// clicked through what covers it), and one read from a phrase over one guessed from its
    /// words; never one that leaves the page, and a guessed one never if it only expands a
    /// section.
    fn control(&self, classes: &[Control]) -> Option<&ControlFacts> {
        let usable = |x: &&ControlFacts, class: Control, guessed: bool, covered: bool| {
            x.class == Some(class)
                && x.guessed == guessed
                && x.covered == covered
                && x.not_banner.is_empty()
                && !x.navigates
                && !(guessed && x.disclosure)
        };
        [(false, false), (true, false), (false, true), (true, true)]
            .into_iter()
            .find_map(|(guessed, covered)| {
                classes.iter().find_map(|class| {
                    self.candidate
                        .controls
                        .iter()
                        .find(|x| usable(x, *class, guessed, covered))
                })
            })
    }

    fn found(&self, control: &ControlFacts) -> Found {
        Found {
            frame_id: self.frame_id.clone(),
            frame_url: self.frame_url.clone(),
            top: self.top,
            key: control.key.clone(),
            label: format!("{} \"{}\"", control.tag, control.label),
        }
    }
}

fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// A banner's element and what each of its controls means, by its label.
pub type Signature = (String, Vec<(Option<Control>, String)>);

/// What one look at every frame showed: the candidates, judged (surest first), and the
/// look-alikes declined.
#[derive(Debug, Default, Clone)]
pub struct Look {
    pub banners: Vec<Sighted>,
    pub declined: Vec<String>,
}

impl Look {
    /// The surest candidate that is a cookie banner.
    pub fn best(&self) -> Option<&Sighted> {
        self.banners.iter().find(|s| s.judgement.declined.is_none())
    }

    /// A candidate that speaks of cookies or consent, whether or not it is answered.
    pub fn any_banner(&self) -> bool {
        self.banners.iter().any(|s| !s.candidate.topic.is_empty())
    }

    /// The surest banner and what its controls mean: two looks with the same signature saw the
    /// same banner offer the same choice.
    pub fn signature(&self) -> Option<Signature> {
        let best = self.best()?;
        let mut controls: Vec<(Option<Control>, String)> = best
            .candidate
            .controls
            .iter()
            .map(|x| (x.class, x.label.clone()))
            .collect();
        controls.sort();
        Some((best.candidate.label.clone(), controls))
    }

    /// Whether any banner on the page still offers a choice (accept, refuse, settings or save).
    pub fn offers_choice(&self) -> bool {
        self.banners.iter().any(|s| s.control(&ANSWERING).is_some())
    }

    /// Every declined candidate and look-alike, in words.
    pub fn declined(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .banners
            .iter()
            .filter_map(|s| {
                s.judgement
                    .declined
                    .as_ref()
                    .map(|why| format!("{} {}: {why}", s.candidate.label, s.place()))
            })
            .collect();
        out.extend(self.declined.iter().cloned());
        out
    }
}

/// The search by sight over one page's frames.
pub struct Sight<'v> {
    vocab: &'v Prepared,
    /// Keys banner.js gives what it keeps start with this (unique in the page's worlds).
    prefix: String,
}

impl<'v> Sight<'v> {
    pub fn new(worlds: &mut Worlds, vocab: &'v Prepared) -> Self {
        Sight {
            vocab,
            prefix: format!("h{}-", worlds.key()),
        }
    }

    /// One request to banner.js in `frame`, handing it the vocabulary the first time.
    fn ask(&self, worlds: &mut Worlds, frame: &str, mut request: Value) -> Result<Value> {
        request["keyPrefix"] = json!(self.prefix);
        request["wordsId"] = json!(self.vocab.compiled.id);
        let mut v = worlds.run_script(frame, BANNER_JS, &request)?;
        if v.get("needGate").is_some() {
            // The words of cookies and privacy first (a few kB): a frame where nothing could be
            // a banner never needs the whole vocabulary.
            let argument = format!(
                "Object.assign({request}, {{\"gate\": {}}})",
                self.vocab.gate
            );
            v = worlds.run_script_on(frame, BANNER_JS, &argument)?;
        }
        if v.get("needWords").is_none() {
            return Ok(v);
        }
        // JSON.parse of a string reads a large object faster than V8 parses it as a literal.
        let argument = format!(
            "Object.assign({request}, {{\"words\": JSON.parse({})}})",
            self.vocab.json_literal
        );
        worlds.run_script_on(frame, BANNER_JS, &argument)
    }

    /// Lets the top document render two frames since the last look began (bounded): components
    /// that render on animation frames (a banner's web component hydrating) show only then, and
    /// the page's clock running ahead renders none. Frames drawn while the scan worked count.
    pub fn render(&self, worlds: &mut Worlds) {
        let top = worlds.top().to_string();
        let _ = worlds.run_script(&top, BANNER_JS, &json!({ "op": "frames" }));
    }

    /// Looks at every frame once.
    pub fn look(&self, worlds: &mut Worlds) -> Look {
        let mut look = Look::default();
        let top = worlds.top().to_string();
        for frame in worlds.frames() {
            let Ok(v) = self.ask(worlds, &frame.id, json!({ "op": "find" })) else {
                continue;
            };
            let Ok(sight) = serde_json::from_value::<FrameSight>(v) else {
                continue;
            };
            let is_top = frame.id == top;
            for c in sight.banners {
                let judgement = judge(&c);
                look.banners.push(Sighted {
                    frame_id: frame.id.clone(),
                    frame_url: sight.url.clone(),
                    top: is_top,
                    candidate: c,
                    judgement,
                });
            }
            for l in sight.lookalikes {
                let why = if l.not_banner.is_empty() {
                    "it does not speak of cookies or consent".to_string()
                } else {
                    format!("it is about {}", l.not_banner.join(", "))
                };
                look.declined.push(format!(
                    "{} (\"{}\", its control \"{}\") {}: {why}",
                    l.label,
                    excerpt(&l.text, 60),
                    excerpt(&l.control, 40),
                    if is_top {
                        "in the top frame".to_string()
                    } else {
                        format!("in frame {}", sight.url)
                    }
                ));
            }
        }
        // Surest first; between equals, the top frame and the one placed over the page.
        look.banners.sort_by(|a, b| {
            b.judgement
                .confidence
                .total_cmp(&a.judgement.confidence)
                .then(b.top.cmp(&a.top))
                .then(b.candidate.fixed.cmp(&a.candidate.fixed))
        });
        look
    }

    /// Whether the banner `b` is still moving: a CSS animation or transition runs on it or
    /// between it and its text (a bar sliding up). Such animations run in real time, and until
    /// they end part of the banner may still be off screen.
    pub fn moving(&self, worlds: &mut Worlds, b: &Sighted) -> bool {
        matches!(
            self.shown(worlds, &b.frame_id, &b.candidate.key),
            Some((_, true))
        )
    }

    /// Whether the banner `key` (in `frame`) still shows: Some(true) shown, Some(false) gone;
    /// None when its frame cannot be asked or it is no longer known (its document replaced).
    fn shown(&self, worlds: &mut Worlds, frame: &str, key: &str) -> Option<(bool, bool)> {
        let v = self
            .ask(worlds, frame, json!({ "op": "state", "key": key }))
            .ok()?;
        if v.get("known") != Some(&Value::Bool(true)) {
            return None;
        }
        let shown = v.get("shown") == Some(&Value::Bool(true));
        let animating = v.get("animating") == Some(&Value::Bool(true));
        Some((shown, animating))
    }

    /// What is stored where the banner's frame and the top document can see it: each key with a
    /// hash of its value. A banner in a frame often hands its answer to the page, which keeps
    /// the record in its own storage.
    pub fn stored(&self, worlds: &mut Worlds, frame: &str) -> Stored {
        let mut out = self.stored_in(worlds, frame);
        let top = worlds.top().to_string();
        if top != frame {
            out.0.extend(self.stored_in(worlds, &top).0);
        }
        out
    }

    /// What one frame's document can see.
    fn stored_in(&self, worlds: &mut Worlds, frame: &str) -> Stored {
        let Ok(v) = self.ask(worlds, frame, json!({ "op": "stored" })) else {
            return Stored::default();
        };
        let mut out = BTreeMap::new();
        for (field, storage) in [
            ("cookies", StorageKind::Cookie),
            ("localStorage", StorageKind::LocalStorage),
            ("sessionStorage", StorageKind::SessionStorage),
        ] {
            for (name, hash) in v
                .get(field)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                out.insert(
                    RecordKey {
                        storage,
                        name: name.clone(),
                    },
                    hash.as_u64().unwrap_or(0),
                );
            }
        }
        Stored(out)
    }

    /// The keys the answer wrote (new, or with a new value) whose names speak of consent: the
    /// banner's own record.
    pub fn written(&self, before: &Stored, after: &Stored) -> Vec<RecordKey> {
        after
            .0
            .iter()
            .filter(|(k, v)| before.0.get(k) != Some(v))
            .map(|(k, _)| k)
            .filter(|k| is_record_name(&k.name, &self.vocab.compiled.topic))
            .cloned()
            .collect()
    }
}

/// What one frame's document holds: each key with a hash of its value.
#[derive(Debug, Clone, Default)]
pub struct Stored(BTreeMap<RecordKey, u64>);

#[cfg(test)]
mod tests {
    use super::judge::Inputs;
    use super::*;
    use crate::consent::Refusal;

    fn control(class: Option<Control>, label: &str) -> ControlFacts {
        ControlFacts {
            key: "k".into(),
            class,
            phrase: Some(label.to_lowercase()),
            languages: vec!["en".into()],
            guessed: false,
            not_banner: Vec::new(),
            navigates: false,
            disclosure: false,
            covered: false,
            label: label.to_lowercase(),
            tag: "<button>".into(),
        }
    }

    fn banner(controls: Vec<ControlFacts>) -> Candidate {
        Candidate {
            key: "b".into(),
            label: "<div#cookie-notice>".into(),
            text: "we use cookies to improve the site".into(),
            text_length: 120,
            topic: vec!["cookies".into()],
            privacy: Vec::new(),
            not_banner: Vec::new(),
            fixed: true,
            dialog: false,
            z_index: 1000,
            hinted: true,
            frame_is_banner: false,
            area: 0.1,
            inputs: Inputs::default(),
            toggles: 0,
            controls,
            lang: "en".into(),
            unknown_controls: Vec::new(),
        }
    }

    #[test]
    fn a_fixed_cookie_notice_with_accept_and_reject_is_a_banner() {
        let b = banner(vec![
            control(Some(Control::Accept), "Accept all"),
            control(Some(Control::Reject), "Reject all"),
        ]);
        let j = judge(&b);
        assert!(j.declined.is_none(), "{j:?}");
        assert!(j.confidence >= 0.9, "{j:?}");
        assert_eq!(refusal_of(&b), Refusal::FirstLayer);
    }

    #[test]
    fn a_banner_in_the_page_flow_is_still_a_banner() {
        let mut b = banner(vec![
            control(Some(Control::Accept), "Accept"),
            control(Some(Control::Settings), "Settings"),
        ]);
        b.fixed = false;
        b.hinted = false;
        b.z_index = 0;
        let j = judge(&b);
        assert!(j.declined.is_none(), "{j:?}");
        assert_eq!(refusal_of(&b), Refusal::SecondLayer);
    }

    #[test]
    fn a_newsletter_or_login_form_is_never_answered() {
        let mut b = banner(vec![control(Some(Control::Accept), "Accept")]);
        b.inputs.email = 1;
        assert!(judge(&b).declined.unwrap().contains("e-mail"));
        let mut privacy_only = banner(vec![control(Some(Control::Accept), "Accept")]);
        privacy_only.topic.clear();
        privacy_only.privacy = vec!["privacy policy".into()];
        let why = judge(&privacy_only).declined.unwrap();
        assert!(why.contains("privacy"), "{why}");
        let mut about_something_else = banner(vec![control(Some(Control::Accept), "Accept")]);
        about_something_else.not_banner = vec!["newsletter".into(), "subscribe".into()];
        about_something_else.fixed = false;
        about_something_else.hinted = false;
        let j = judge(&about_something_else);
        assert!(j.declined.is_some(), "{j:?}");
    }

    #[test]
    fn an_ok_only_notice_offers_no_refusal() {
        let b = banner(vec![control(Some(Control::Acknowledge), "OK")]);
        assert!(judge(&b).declined.is_none());
        assert_eq!(refusal_of(&b), Refusal::None);
    }

    #[test]
    fn a_navigation_bar_with_a_cookie_link_is_not_a_banner() {
        let mut b = banner(
            (0..15)
                .map(|i| {
                    control(
                        if i == 0 {
                            Some(Control::Settings)
                        } else {
                            None
                        },
                        "x",
                    )
                })
                .collect(),
        );
        b.hinted = false;
        b.text_length = 3000;
        let j = judge(&b);
        assert!(j.declined.is_some(), "{j:?}");
    }

    #[test]
    fn record_names_speak_of_consent() {
        let topic: Vec<String> = ["slapukų", "sutikimas", "evästeet", "cookies"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for name in [
            "cb-enabled",
            "slapuku-sutikimas",
            "evasteet_ok",
            "cookie-consent-settings",
            "cookies_policy",
            "CookieConsent",
            "gdpr_accepted",
            "cookieBannerDismissed",
        ] {
            assert!(is_record_name(name, &topic), "{name}");
        }
        for name in ["twk_uuid_5f2b", "_ga", "widget_loaded", "PHPSESSID"] {
            assert!(!is_record_name(name, &topic), "{name}");
        }
    }
}
