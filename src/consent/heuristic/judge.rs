//! Whether a candidate banner (the facts banner.js reports) is a cookie banner, how sure, and what it offers: plain Rust the unit tests exercise.

use super::super::Refusal;
use crate::catalog::words::Control;
use serde::{Deserialize, Serialize};

/// How sure a candidate must be to be answered.
pub const THRESHOLD: f64 = 0.5;

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
