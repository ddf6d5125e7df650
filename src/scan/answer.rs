//! The consent answer: accept, reject or none, and how each is given (rules, a click, a script or a button's text).

use crate::consent::{BannerWords, CmpRules};
use crate::vocab::ConsentAction;
use serde::{Deserialize, Serialize};

/// How the consent step gives an answer: one way only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ConsentMethod {
    /// Detect the consent manager and click through its rule, else find the banner by sight
    /// (the default).
    #[default]
    Auto,
    /// Click the element this CSS selector finds.
    Click(String),
    /// Evaluate this JavaScript instead of a click.
    Js(String),
    /// Click the button, link or [role=button] with this visible text.
    Text(String),
}

/// The answer a scan gives the banner, and how each answer would be given: `--passes` gives
/// several answers in one run, each its own way (`--consent-click` accepts, `--reject-click`
/// rejects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "ConsentKeys", try_from = "ConsentKeys")]
pub struct ConsentSettings {
    pub action: ConsentAction,
    /// How an `accept` is given.
    pub accept: ConsentMethod,
    /// How a `reject` is given.
    pub reject: ConsentMethod,
}

impl Default for ConsentSettings {
    /// Accepting, through the consent-manager rules (or by sight).
    fn default() -> ConsentSettings {
        ConsentSettings {
            action: ConsentAction::Accept,
            accept: ConsentMethod::Auto,
            reject: ConsentMethod::Auto,
        }
    }
}

impl ConsentSettings {
    /// How `action` is given (`none` gives nothing: automatic, never used).
    pub fn method(&self, action: ConsentAction) -> &ConsentMethod {
        match action {
            ConsentAction::Reject => &self.reject,
            _ => &self.accept,
        }
    }
}

/// Two ways given for one answer (`consent_click` and `consent_js`, or either and `consent_text`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{second}` and `{first}` both say how to {verb}: give one")]
pub struct ConflictingAnswers {
    pub first: &'static str,
    pub second: &'static str,
    pub verb: &'static str,
}

/// The consent answer as the policy's `[scan]` table and the command line's flags spell it: the
/// answer, and at most one way of giving each (`consent_text` gives both).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsentKeys {
    #[serde(default = "accept")]
    pub consent: ConsentAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_click: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_js: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_click: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_js: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_text: Option<String>,
}

/// A key that may give an answer, and its value where given.
type Way<'a> = (&'static str, Option<&'a String>);

fn accept() -> ConsentAction {
    ConsentAction::Accept
}

impl Default for ConsentKeys {
    fn default() -> ConsentKeys {
        ConsentSettings::default().into()
    }
}

impl ConsentKeys {
    /// The keys of each answer, by name, in the order they conflict: the click, the script,
    /// the text.
    fn ways(&self) -> [(&'static str, [Way<'_>; 3]); 2] {
        [
            (
                "accept",
                [
                    ("consent_click", self.consent_click.as_ref()),
                    ("consent_js", self.consent_js.as_ref()),
                    ("consent_text", self.consent_text.as_ref()),
                ],
            ),
            (
                "reject",
                [
                    ("reject_click", self.reject_click.as_ref()),
                    ("reject_js", self.reject_js.as_ref()),
                    ("consent_text", self.consent_text.as_ref()),
                ],
            ),
        ]
    }

    /// The first pair of keys that give one answer two ways, if any.
    pub fn conflict(&self) -> Option<ConflictingAnswers> {
        for (verb, ways) in self.ways() {
            let given: Vec<&'static str> = ways
                .iter()
                .filter(|(_, v)| v.is_some())
                .map(|(k, _)| *k)
                .collect();
            if let [first, second, ..] = given[..] {
                return Some(ConflictingAnswers {
                    first,
                    second,
                    verb,
                });
            }
        }
        None
    }
}

impl TryFrom<ConsentKeys> for ConsentSettings {
    type Error = ConflictingAnswers;

    fn try_from(k: ConsentKeys) -> Result<ConsentSettings, ConflictingAnswers> {
        if let Some(c) = k.conflict() {
            return Err(c);
        }
        let way =
            |click: Option<String>, js: Option<String>| match (click, js, k.consent_text.clone()) {
                (Some(sel), _, _) => ConsentMethod::Click(sel),
                (_, Some(js), _) => ConsentMethod::Js(js),
                (_, _, Some(text)) => ConsentMethod::Text(text),
                (None, None, None) => ConsentMethod::Auto,
            };
        Ok(ConsentSettings {
            action: k.consent,
            accept: way(k.consent_click.clone(), k.consent_js.clone()),
            reject: way(k.reject_click.clone(), k.reject_js.clone()),
        })
    }
}

impl From<ConsentSettings> for ConsentKeys {
    fn from(s: ConsentSettings) -> ConsentKeys {
        let mut k = ConsentKeys {
            consent: s.action,
            consent_click: None,
            consent_js: None,
            reject_click: None,
            reject_js: None,
            consent_text: None,
        };
        for (method, click, js) in [
            (s.accept, &mut k.consent_click, &mut k.consent_js),
            (s.reject, &mut k.reject_click, &mut k.reject_js),
        ] {
            match method {
                ConsentMethod::Auto => {}
                ConsentMethod::Click(sel) => *click = Some(sel),
                ConsentMethod::Js(js_text) => *js = Some(js_text),
                ConsentMethod::Text(text) => k.consent_text = Some(text),
            }
        }
        k
    }
}

/// The consent answer of one scan, with what answers it and checks it.
#[derive(Debug, Clone)]
pub struct ConsentChoice {
    pub action: ConsentAction,
    pub method: ConsentMethod,
    /// The consent-manager rules: they answer the banner (`Auto`) and check every answer,
    /// automatic or the user's (which CMP's banner closed, what its record says).
    pub rules: CmpRules,
    /// The words of banners no rule knows: they find and answer those by sight, and check
    /// the user's answers where no CMP is known.
    pub words: BannerWords,
}

impl ConsentChoice {
    /// Answering `action` by `method`, checked by `rules` and the embedded banner words.
    pub fn new(action: ConsentAction, method: ConsentMethod, rules: CmpRules) -> ConsentChoice {
        ConsentChoice {
            action,
            method,
            rules,
            words: BannerWords::embedded().expect("the embedded banner words are valid"),
        }
    }
}
