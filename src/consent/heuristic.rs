//! Banners no rule knows, answered by sight: find the banner a visitor sees by its words, judge it, click through its layers, check the answer took.
//!
//! The page-side search (banner.js) reports facts in every frame: elements whose own words
//! speak of cookies, consent or privacy, how they are placed, and the controls they offer with
//! the meaning of their words (`catalog/banner-words.toml`). [`judge`] decides, in plain Rust
//! that the unit tests exercise, whether a candidate is a cookie banner and how sure that is;
//! [`Sight`] then answers it the way a visitor would and verifies the answer.

use super::{RecordKey, Refusal};
use crate::browser::dom::{self, Found, Worlds};
use crate::catalog::words::{Control, Prepared};
use crate::error::Result;
use crate::vocab::StorageKind;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

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

/// How sure a candidate must be to be answered.
pub const THRESHOLD: f64 = 0.5;

/// How long (page time) a second layer may take to open after its settings control.
const SECOND_LAYER: Duration = Duration::from_secs(2);

/// How long (page time) the banner may take to leave after the answer, its exit transition included.
const LEAVE_BOUND: Duration = Duration::from_secs(3);

/// How long (page time) a banner that left must stay away to count.
const STAY_AWAY: Duration = Duration::from_millis(500);

/// How long (page time) a page that reloaded after the answer is watched for the banner's return.
const AFTER_RELOAD: Duration = Duration::from_secs(2);

/// Words in a key's name or value that say it holds a consent choice.
const RECORD_WORDS: &[&str] = &[
    "consent",
    "cookie",
    "gdpr",
    "privacy",
    "tracking",
    "banner",
    "notice",
    "choice",
    "accept",
    "optin",
    "opt-in",
    "necessary",
    "essential",
    "analytics",
    "marketing",
    "preferences",
    "dsgvo",
    "rgpd",
    "cmp",
];

/// One control of a candidate, as banner.js reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct ControlFacts {
    pub key: String,
    pub class: Option<Control>,
    pub phrase: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Read from its words (two marker words), not from a phrase of the vocabulary.
    #[serde(default)]
    pub guessed: bool,
    #[serde(default, rename = "notBanner")]
    pub not_banner: Vec<String>,
    /// A link to another document: clicking it would leave the page.
    #[serde(default)]
    pub navigates: bool,
    /// It expands or collapses something (`aria-expanded`): a category's heading, a menu.
    #[serde(default)]
    pub disclosure: bool,
    /// Something else is on top of it (a floating button under the banner): not the banner's.
    #[serde(default)]
    pub covered: bool,
    pub label: String,
    pub tag: String,
}

/// Form fields inside a candidate: a cookie banner asks for no e-mail address or password.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Inputs {
    pub email: u32,
    pub password: u32,
    pub text: u32,
}

/// One candidate banner, as banner.js reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub key: String,
    pub label: String,
    pub text: String,
    pub text_length: usize,
    pub topic: Vec<String>,
    pub privacy: Vec<String>,
    pub not_banner: Vec<String>,
    pub fixed: bool,
    pub dialog: bool,
    pub z_index: i64,
    pub hinted: bool,
    pub frame_is_banner: bool,
    pub area: f64,
    pub inputs: Inputs,
    /// Optional switches (checkboxes, `role=switch`) it holds that a visitor can change.
    #[serde(default)]
    pub toggles: u32,
    pub controls: Vec<ControlFacts>,
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub unknown_controls: Vec<String>,
}

/// A dialog with banner-like controls that does not speak of cookies at all.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lookalike {
    pub label: String,
    pub text: String,
    pub control: String,
    pub not_banner: Vec<String>,
}

/// What one frame showed.
#[derive(Debug, Clone, Deserialize)]
struct FrameSight {
    url: String,
    #[serde(default)]
    banners: Vec<Candidate>,
    #[serde(default)]
    lookalikes: Vec<Lookalike>,
}

/// Whether a candidate is a cookie banner, how sure, and on what grounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// 0 to 1; answered from [`THRESHOLD`].
    pub confidence: f64,
    /// What raised or lowered it, in words.
    pub grounds: Vec<String>,
    /// Why it is not answered, when it is not.
    pub declined: Option<String>,
}

/// Whether `c` is a cookie banner a visitor would answer, and how sure that is. A guess, and
/// labelled as one: the grounds say what it rests on.
pub fn judge(c: &Candidate) -> Judgement {
    let mut grounds = Vec::new();
    let mut score: f64 = 0.0;
    let decline = |why: String, grounds: Vec<String>, score: f64| Judgement {
        confidence: score.clamp(0.0, 1.0),
        grounds,
        declined: Some(why),
    };
    let has = |class: Control| c.controls.iter().any(|x| x.class == Some(class));
    let offers_choice = (has(Control::Accept) || has(Control::Save))
        && [
            Control::Reject,
            Control::Necessary,
            Control::ContinueWithout,
            Control::Settings,
        ]
        .into_iter()
        .any(has);
    if c.inputs.email + c.inputs.password > 0 {
        return decline(
            "it asks for an e-mail address or a password (a sign-up or log-in form)".into(),
            grounds,
            0.0,
        );
    }
    if !c.topic.is_empty() {
        score += 0.35;
        grounds.push(format!("speaks of {}", c.topic.join(", ")));
    } else if !c.privacy.is_empty() && offers_choice && c.not_banner.is_empty() {
        // A consent banner that never says "cookie" ("we process your personal data for these
        // purposes"): privacy words and a choice between accepting and refusing.
        score += 0.2;
        grounds.push(format!(
            "speaks of {} and offers accept and refuse",
            c.privacy.join(", ")
        ));
    } else {
        let why = if c.privacy.is_empty() {
            "it does not speak of cookies or consent".to_string()
        } else {
            format!(
                "it speaks of privacy ({}) but not of cookies, consent or tracking, and offers no choice between accepting and refusing",
                c.privacy.join(", ")
            )
        };
        return decline(why, grounds, 0.0);
    }
    if c.fixed || c.dialog || c.frame_is_banner {
        score += 0.2;
        grounds.push(
            if c.dialog {
                "a dialog"
            } else if c.frame_is_banner {
                "a frame of its own"
            } else {
                "fixed over the page"
            }
            .into(),
        );
    }
    if c.hinted {
        score += 0.1;
        grounds.push("its id or class names cookies or consent".into());
    }
    if has(Control::Accept) || has(Control::Acknowledge) {
        score += 0.2;
        grounds.push("offers an accept or OK".into());
    }
    if [
        Control::Reject,
        Control::Necessary,
        Control::ContinueWithout,
        Control::Settings,
    ]
    .into_iter()
    .any(has)
    {
        score += 0.1;
        grounds.push("offers a refusal or settings".into());
    }
    if c.z_index >= 10 || c.area >= 0.5 {
        score += 0.05;
    }
    if c.text_length > 2500 {
        score -= 0.2;
        grounds.push(format!("long for a banner ({} characters)", c.text_length));
    }
    if c.controls.len() > 12 {
        score -= 0.2;
        grounds.push(format!("many controls ({})", c.controls.len()));
    }
    // A sign-up or a chat invitation offers such controls; a banner that only names them among
    // its purposes ("cookies for the live chat") is still a banner.
    let not_banner_controls = c.controls.iter().any(|x| !x.not_banner.is_empty());
    if not_banner_controls {
        score -= 0.3;
        grounds.push("offers controls of another kind (sign up, log in, chat)".into());
    } else if !c.not_banner.is_empty() {
        // Only a banner that offers a cookie banner's choice is let off lightly.
        score -= if c.topic.is_empty() || !offers_choice {
            0.3
        } else {
            0.1
        };
        grounds.push(format!("also says {}", c.not_banner.join(", ")));
    }
    if c.inputs.text > 0 {
        score -= 0.2;
        grounds.push("has a text field".into());
    }
    let confidence = (score * 100.0).round() / 100.0;
    if confidence < THRESHOLD {
        let why = format!(
            "not sure enough it is a cookie banner (confidence {confidence:.2} < {THRESHOLD}: {})",
            grounds.join("; ")
        );
        return decline(why, grounds, confidence);
    }
    Judgement {
        confidence: confidence.min(1.0),
        grounds,
        declined: None,
    }
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

/// Which controls answer what, in order of preference.
pub fn preference(reject: bool) -> &'static [Control] {
    if reject {
        &[
            Control::Reject,
            Control::Necessary,
            Control::ContinueWithout,
        ]
    } else {
        &[Control::Accept]
    }
}

/// Whether a banner offers a refusal on its first layer, behind its settings, behind a link to
/// another page, or not at all. A control that leaves the page is not one on this page.
pub fn refusal_of(c: &Candidate) -> Refusal {
    let has = |class: Control, navigates: bool| {
        c.controls
            .iter()
            .any(|x| x.class == Some(class) && x.navigates == navigates)
    };
    let here = |class| has(class, false);
    if [
        Control::Reject,
        Control::Necessary,
        Control::ContinueWithout,
    ]
    .into_iter()
    .any(here)
        || (c.toggles > 0 && here(Control::Save))
    {
        Refusal::FirstLayer
    } else if here(Control::Settings) {
        Refusal::SecondLayer
    } else if [Control::Settings, Control::Reject, Control::Necessary]
        .into_iter()
        .any(|class| has(class, true))
    {
        Refusal::OtherPage
    } else {
        Refusal::None
    }
}

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

/// Short names banners give their record (`cb-enabled`: cookie bar; `cc_cookie`: cookie consent).
const RECORD_TOKENS: &[&str] = &["cb", "cc", "cn", "cm", "ck", "cmp", "avg", "lgpd"];

/// True when a key's name speaks of consent (the banner's record, not a widget's key): an
/// English word of consent, a short name banners use, or a cookie or consent word of any
/// language of the vocabulary (`topic`, compared without diacritics: `slapuku-sutikimas`).
pub fn is_record_name(name: &str, topic: &[String]) -> bool {
    let lower = name.to_lowercase();
    if RECORD_WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    if lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|t| RECORD_TOKENS.contains(&t))
    {
        return true;
    }
    let folded = fold(&lower);
    topic
        .iter()
        .map(|w| fold(w))
        .filter(|w| w.chars().count() >= 5 && !w.contains(' '))
        .any(|w| folded.contains(&w))
}

/// Lowercase letters without their diacritics (`slapukų` → `slapuku`).
fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
