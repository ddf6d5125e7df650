//! The words of cookie banners (`catalog/banner-words.toml`): what finds and answers a banner no CMP rule knows.
//!
//! One entry per language, each naming its sources. The consent step reads a banner the way a
//! visitor does: an element that speaks of cookies or consent (`topic`) and offers controls whose
//! visible text or accessible name is one of the phrases of a [`Control`] class. Phrases of every
//! language are matched at once (a page's language is often not declared, or wrong); where one
//! phrase means different things in two languages, the page's own language decides.

use crate::diagnostic::{Diagnostic, Diagnostics};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use toml::Spanned;

/// The embedded vocabulary, as shown in diagnostics.
pub const EMBEDDED_FILE: &str = "catalog/banner-words.toml";
const EMBEDDED_TEXT: &str = include_str!("../../catalog/banner-words.toml");

/// What a banner's control does, by its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Control {
    /// Consents to everything.
    Accept,
    /// Refuses everything optional.
    Reject,
    /// Accepts only the strictly necessary: a refusal.
    Necessary,
    /// Continues without accepting (often a link): a refusal.
    ContinueWithout,
    /// Opens the second layer (preferences).
    Settings,
    /// Confirms the choices made in the second layer.
    Save,
    /// "OK" on a notice that offers no choice.
    Acknowledge,
    /// Closes the banner; never taken as an answer.
    Close,
}

impl Control {
    pub const ALL: [Control; 8] = [
        Control::Accept,
        Control::Reject,
        Control::Necessary,
        Control::ContinueWithout,
        Control::Settings,
        Control::Save,
        Control::Acknowledge,
        Control::Close,
    ];

    /// The class's name as the vocabulary file writes it.
    pub fn key(self) -> &'static str {
        match self {
            Control::Accept => "accept",
            Control::Reject => "reject",
            Control::Necessary => "necessary",
            Control::ContinueWithout => "continue_without",
            Control::Settings => "settings",
            Control::Save => "save",
            Control::Acknowledge => "acknowledge",
            Control::Close => "close",
        }
    }

    /// "Close" and "OK": a label means them only when it holds no other class's phrase.
    fn weak(self) -> bool {
        matches!(self, Control::Close | Control::Acknowledge)
    }

    /// True for the controls that refuse what is not strictly necessary.
    pub fn refuses(self) -> bool {
        matches!(
            self,
            Control::Reject | Control::Necessary | Control::ContinueWithout
        )
    }

    /// Which class wins when one phrase is in two (in languages the page does not name).
    fn precedence(self) -> u8 {
        match self {
            Control::Necessary => 0,
            Control::Reject => 1,
            Control::ContinueWithout => 2,
            Control::Save => 3,
            Control::Settings => 4,
            Control::Accept => 5,
            Control::Acknowledge => 6,
            Control::Close => 7,
        }
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Control::ContinueWithout => "continue-without",
            other => other.key(),
        })
    }
}

/// One language's words.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Language {
    pub code: String,
    pub name: String,
    pub sources: Vec<String>,
    /// Strong words: text holding one speaks of cookies, consent or tracking.
    pub topic: Vec<String>,
    /// Weak words: privacy and data protection (a newsletter form says them too).
    pub privacy: Vec<String>,
    /// Phrases of each control class.
    pub controls: BTreeMap<Control, Vec<String>>,
    /// Words of dialogs that are not cookie banners (newsletter, login, age gate, chat invitation…).
    pub not_banner: Vec<String>,
}

/// The vocabulary: the embedded languages plus any user files. Cloning is cheap.
#[derive(Clone)]
pub struct BannerWords {
    languages: Arc<[Language]>,
    version: String,
    /// Compiled once, for every clone: the first consent step of a process (or [`Self::prepare`],
    /// ahead of it) pays for it, later ones and other sites do not.
    compiled: Arc<OnceLock<Prepared>>,
}

/// The compiled vocabulary, and its JSON as the page-side search receives it.
#[derive(Debug)]
pub struct Prepared {
    pub compiled: Compiled,
    /// Its JSON, as a JavaScript string literal.
    pub json_literal: String,
    /// Its topic and privacy words, a JSON array: a text that holds none of them is no banner.
    pub gate: String,
}

impl fmt::Debug for BannerWords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BannerWords")
            .field("version", &self.version)
            .field("languages", &self.languages.len())
            .finish()
    }
}

/// What the page-side search receives: every phrase, normalised, with its meanings.
#[derive(Debug, Clone, Serialize)]
pub struct Compiled {
    /// `words.<hash>`: lets a frame keep the vocabulary between looks.
    pub id: String,
    pub topic: Vec<String>,
    pub privacy: Vec<String>,
    pub not_banner: Vec<String>,
    /// Phrase → its meanings, each a class and the languages that give it that meaning.
    pub phrases: BTreeMap<String, Vec<Meaning>>,
    /// The phrase that decides a class, by precedence, when the page's language gives none.
    pub precedence: Vec<Control>,
    /// Words that, across every phrase they occur in, nearly always mean one class
    /// (`nødvendige` → necessary): a label that holds none of the phrases but two of these is
    /// read as their class, and reported as guessed from its words.
    pub markers: BTreeMap<String, Control>,
}

impl Compiled {
    /// The vocabulary as banner.js receives it: each phrase's meanings packed into one string
    /// (`class:lang,lang;class:lang`), and phrases and markers as JSON objects, which the page's
    /// `JSON.parse` builds natively; banner.js unpacks a phrase's meanings only when a label holds
    /// it. Normalised phrases hold none of `;:,`.
    fn wire(&self) -> serde_json::Value {
        let phrases: BTreeMap<&str, String> = self
            .phrases
            .iter()
            .map(|(phrase, meanings)| {
                let packed: Vec<String> = meanings
                    .iter()
                    // The serde spelling, as banner.js reports classes back.
                    .map(|m| format!("{}:{}", m.class, m.languages.join(",")))
                    .collect();
                (phrase.as_str(), packed.join(";"))
            })
            .collect();
        let markers: BTreeMap<&str, String> = self
            .markers
            .iter()
            .map(|(word, class)| (word.as_str(), class.to_string()))
            .collect();
        serde_json::json!({
            "id": self.id,
            "topic": self.topic,
            "privacy": self.privacy,
            "not_banner": self.not_banner,
            "precedence": self.precedence,
            "phrases": phrases,
            "markers": markers,
        })
    }
}

/// One meaning of a phrase.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Meaning {
    pub class: Control,
    pub languages: Vec<String>,
}

impl BannerWords {
    /// The vocabulary compiled into the binary.
    pub fn embedded() -> Result<BannerWords, Diagnostics> {
        Self::build(&[(EMBEDDED_FILE, EMBEDDED_TEXT)], &[])
    }

    /// The embedded vocabulary plus the user's files: a language already known gains their
    /// phrases, a new one is added.
    pub fn with_user_files(paths: &[impl AsRef<Path>]) -> crate::error::Result<BannerWords> {
        let mut texts = Vec::new();
        for p in paths {
            let p = p.as_ref();
            texts.push((p.display().to_string(), super::read_text(p)?));
        }
        let user: Vec<(&str, &str)> = texts
            .iter()
            .map(|(f, t)| (f.as_str(), t.as_str()))
            .collect();
        Ok(Self::build(&[(EMBEDDED_FILE, EMBEDDED_TEXT)], &user)?)
    }

    /// The embedded vocabulary plus user files given as (file name, text).
    pub fn with_user_texts(texts: &[(&str, &str)]) -> Result<BannerWords, Diagnostics> {
        Self::build(&[(EMBEDDED_FILE, EMBEDDED_TEXT)], texts)
    }

    pub fn languages(&self) -> &[Language] {
        &self.languages
    }

    /// `words.<hash>`, plus `+user.<hash>` with user files.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The compiled vocabulary, compiled on first use (waiting for [`Self::prepare`]'s thread if
    /// it is at it).
    pub fn prepared(&self) -> &Prepared {
        self.compiled.get_or_init(|| {
            let compiled = self.compile();
            let json = serde_json::to_string(&compiled.wire()).expect("the vocabulary serializes");
            let json_literal = serde_json::to_string(&json).expect("a string serializes");
            let gate: Vec<&String> = compiled.topic.iter().chain(&compiled.privacy).collect();
            let gate = serde_json::to_string(&gate).expect("words serialize");
            Prepared {
                compiled,
                json_literal,
                gate,
            }
        })
    }

    /// Compiles the vocabulary on a thread of its own, off the scan's critical path: the page
    /// loads meanwhile, and the consent step finds it ready.
    pub fn prepare(&self) {
        if self.compiled.get().is_some() {
            return;
        }
        let words = self.clone();
        std::thread::spawn(move || {
            words.prepared();
        });
    }

    /// Every phrase normalised the way the page's text is, with its meanings.
    pub fn compile(&self) -> Compiled {
        let mut phrases: BTreeMap<String, Vec<Meaning>> = BTreeMap::new();
        let mut topic = Vec::new();
        let mut privacy = Vec::new();
        let mut not_banner = Vec::new();
        for lang in self.languages.iter() {
            for (class, list) in &lang.controls {
                for p in list {
                    let meanings = phrases.entry(normalize(p)).or_default();
                    match meanings.iter_mut().find(|m| m.class == *class) {
                        Some(m) if !m.languages.contains(&lang.code) => {
                            m.languages.push(lang.code.clone())
                        }
                        Some(_) => {}
                        None => meanings.push(Meaning {
                            class: *class,
                            languages: vec![lang.code.clone()],
                        }),
                    }
                }
            }
            topic.extend(lang.topic.iter().map(|w| normalize(w)));
            privacy.extend(lang.privacy.iter().map(|w| normalize(w)));
            not_banner.extend(lang.not_banner.iter().map(|w| normalize(w)));
        }
        for list in [&mut topic, &mut privacy, &mut not_banner] {
            list.sort();
            list.dedup();
        }
        let mut precedence = Control::ALL.to_vec();
        precedence.sort_by_key(|c| c.precedence());
        let markers = markers(&phrases, &topic);
        Compiled {
            id: self.version.clone(),
            topic,
            privacy,
            not_banner,
            phrases,
            precedence,
            markers,
        }
    }

    /// The class a label belongs to, as the page-side search decides it (for tests and the
    /// words check): the longest phrase it equals or holds at word boundaries, for labels of at
    /// most eight words; `lang` breaks ties between languages.
    pub fn classify(&self, label: &str, lang: Option<&str>) -> Option<Control> {
        let compiled = self.compile();
        compiled.classify(label, lang)
    }

    fn build(embedded: &[(&str, &str)], user: &[(&str, &str)]) -> Result<BannerWords, Diagnostics> {
        let mut languages: Vec<Language> = Vec::new();
        let mut errors = Vec::new();
        for (file, text) in embedded.iter().chain(user) {
            match parse_file(file, text) {
                Ok(list) => {
                    for lang in list {
                        match languages.iter_mut().find(|l| l.code == lang.code) {
                            Some(known) => merge(known, lang),
                            None => languages.push(lang),
                        }
                    }
                }
                Err(mut d) => errors.append(&mut d.0),
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        let hash = |files: &[(&str, &str)]| super::files_hash(files.iter().copied());
        let mut version = format!("words.{}", hash(embedded));
        if !user.is_empty() {
            version.push_str(&format!("+user.{}", hash(user)));
        }
        Ok(BannerWords {
            languages: languages.into(),
            version,
            compiled: Arc::default(),
        })
    }
}

/// The words that mean one class (see [`Compiled::markers`]): at least four letters, in at least
/// two phrases, 90 % of them of one class ("close" and "OK" excluded), never a topic word.
fn markers(
    phrases: &BTreeMap<String, Vec<Meaning>>,
    topic: &[String],
) -> BTreeMap<String, Control> {
    let mut counts: BTreeMap<&str, BTreeMap<Control, usize>> = BTreeMap::new();
    for (phrase, meanings) in phrases {
        for word in phrase.split(' ').filter(|w| w.chars().count() >= 4) {
            for m in meanings {
                *counts.entry(word).or_default().entry(m.class).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .filter(|(w, _)| !topic.iter().any(|t| t == w))
        .filter_map(|(w, by_class)| {
            let total: usize = by_class.values().sum();
            let (class, n) = by_class
                .into_iter()
                .max_by_key(|(c, n)| (*n, std::cmp::Reverse(c.precedence())))?;
            (total >= 2 && n * 10 >= total * 9 && !class.weak()).then(|| (w.to_string(), class))
        })
        .collect()
}

/// A user's phrases added to a language already known.
fn merge(known: &mut Language, more: Language) {
    let add = |to: &mut Vec<String>, from: Vec<String>| {
        for w in from {
            if !to.contains(&w) {
                to.push(w);
            }
        }
    };
    add(&mut known.sources, more.sources);
    add(&mut known.topic, more.topic);
    add(&mut known.privacy, more.privacy);
    add(&mut known.not_banner, more.not_banner);
    for (class, list) in more.controls {
        add(known.controls.entry(class).or_default(), list);
    }
}

impl Compiled {
    /// See [`BannerWords::classify`]; banner.js applies the same rule in the page.
    pub fn classify(&self, label: &str, lang: Option<&str>) -> Option<Control> {
        let label = normalize(label);
        let words: Vec<&str> = label.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return None;
        }
        if let Some(m) = self.phrases.get(&label) {
            return pick(m, lang, &self.precedence);
        }
        if words.len() > 8 {
            return None;
        }
        // The longest phrase the label holds decides; "close" and "OK" only when nothing else
        // is held ("Reject and close" refuses, it does not close).
        let mut best: Option<(&Vec<Meaning>, usize)> = None;
        let mut fallback: Option<(&Vec<Meaning>, usize)> = None;
        for start in 0..words.len() {
            for end in start + 1..=words.len() {
                let gram = words[start..end].join(" ");
                let Some(m) = self.phrases.get(&gram) else {
                    continue;
                };
                let len = gram.chars().count();
                let slot = if m.iter().all(|x| x.class.weak()) {
                    &mut fallback
                } else {
                    &mut best
                };
                if slot.is_none_or(|(_, l)| len > l) {
                    *slot = Some((m, len));
                }
            }
        }
        match best.or(fallback) {
            Some((meanings, _)) => pick(meanings, lang, &self.precedence),
            None => self.guess(&words),
        }
    }

    /// A label no phrase matches, read by its words: two or more marker words, the class most
    /// of them mean (precedence between equals). A word holds a marker when it is the marker,
    /// or begins with one of five letters or more (`notwendigen` holds `notwendige`).
    pub fn guess(&self, words: &[&str]) -> Option<Control> {
        let mut votes: BTreeMap<Control, usize> = BTreeMap::new();
        let mut held = 0;
        // A word that is neither a marker nor a topic word: the label says more than a name
        // ("Strictly necessary cookies" is a category's heading; "Continue with the technically
        // necessary cookies only" is an answer).
        let mut other = false;
        for w in words {
            let hit = self.markers.get(*w).or_else(|| {
                self.markers
                    .iter()
                    .find(|(m, _)| m.chars().count() >= 5 && w.starts_with(m.as_str()))
                    .map(|(_, c)| c)
            });
            match hit {
                Some(c) => {
                    held += 1;
                    *votes.entry(*c).or_default() += 1;
                }
                None => other |= w.chars().count() >= 4 && !self.topic.iter().any(|t| t == w),
            }
        }
        // One verb of accepting or refusing beside the word for cookies ("Zakázať cookies") is
        // as clear as two markers; a lone adjective beside it is a heading ("Necessary cookies").
        let short_verb = held == 1
            && words.len() <= 4
            && words.iter().any(|w| self.topic.iter().any(|t| t == w))
            && votes
                .keys()
                .all(|c| matches!(c, Control::Accept | Control::Reject));
        if !short_verb && (held < 2 || (votes.len() < 2 && !other)) {
            return None;
        }
        let most = votes.values().copied().max()?;
        self.precedence
            .iter()
            .find(|c| votes.get(c) == Some(&most))
            .copied()
    }
}

/// The meaning the page's language gives, else the one of highest precedence.
fn pick(meanings: &[Meaning], lang: Option<&str>, precedence: &[Control]) -> Option<Control> {
    let primary = lang.map(primary_language);
    if let Some(p) = &primary
        && let Some(m) = meanings.iter().find(|m| m.languages.iter().any(|c| c == p))
    {
        return Some(m.class);
    }
    precedence
        .iter()
        .find(|c| meanings.iter().any(|m| m.class == **c))
        .copied()
}

/// A page's language as the vocabulary names it: the primary subtag, Norwegian's two written
/// forms (`nb`, `nn`) as `no`.
pub fn primary_language(tag: &str) -> String {
    let p = tag.split(['-', '_']).next().unwrap_or(tag).to_lowercase();
    match p.as_str() {
        "nb" | "nn" => "no".into(),
        _ => p,
    }
}

/// Text as phrases are compared: lowercase, whitespace squashed, punctuation and symbols at
/// either end dropped and inside the text turned into spaces (apostrophes and hyphens kept
/// inside words). The page-side search (banner.js) normalises the same way.
pub fn normalize(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let chars: Vec<char> = lower.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let inner_joiner = matches!(c, '\'' | '’' | '-' | '‐')
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_joiner {
            out.push(if c == '’' { '\'' } else { c });
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsFile {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    language: Vec<RawLanguage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLanguage {
    code: Spanned<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    topic: Vec<Spanned<String>>,
    #[serde(default)]
    privacy: Vec<Spanned<String>>,
    #[serde(default)]
    accept: Vec<Spanned<String>>,
    #[serde(default)]
    reject: Vec<Spanned<String>>,
    #[serde(default)]
    necessary: Vec<Spanned<String>>,
    #[serde(default)]
    settings: Vec<Spanned<String>>,
    #[serde(default)]
    save: Vec<Spanned<String>>,
    #[serde(default)]
    continue_without: Vec<Spanned<String>>,
    #[serde(default)]
    acknowledge: Vec<Spanned<String>>,
    #[serde(default)]
    close: Vec<Spanned<String>>,
    #[serde(default)]
    not_banner: Vec<Spanned<String>>,
}

/// Parses one vocabulary file, each phrase normalised as pages are compared.
fn parse_file(file: &str, text: &str) -> Result<Vec<Language>, Diagnostics> {
    let raw: WordsFile = toml::from_str(text)
        .map_err(|e| Diagnostics(vec![Diagnostic::from_toml(file, text, &e)]))?;
    let mut errors = Vec::new();
    let at = |span: Range<usize>, msg: String| Diagnostic::at(file, text, span, msg);
    if let Some(v) = raw.version
        && v != 1
    {
        errors.push(Diagnostic::whole_file(
            file,
            format!("version {v} is not known (this chatcookie reads version 1)"),
        ));
    }
    let mut out: Vec<Language> = Vec::new();
    for l in raw.language {
        let code = l.code.get_ref().clone();
        let valid_code = code.split('-').enumerate().all(|(i, part)| {
            (2..=8).contains(&part.len())
                && part.chars().all(|c| {
                    if i == 0 {
                        c.is_ascii_lowercase()
                    } else {
                        c.is_ascii_alphanumeric()
                    }
                })
        });
        if !valid_code {
            errors.push(at(
                l.code.span(),
                format!("`{code}` is not a BCP 47 language tag in lowercase (e.g. `de`, `nb`)"),
            ));
        }
        if out.iter().any(|o| o.code == code) {
            errors.push(at(
                l.code.span(),
                format!("language `{code}` is defined twice in this file"),
            ));
        }
        let mut list = |name: &str, words: Vec<Spanned<String>>| -> Vec<String> {
            let mut seen: Vec<String> = Vec::new();
            for w in words {
                let phrase = w.get_ref();
                let normal = normalize(phrase);
                // Written as a visitor reads it ("Yes, I agree"); compared as pages are
                // (`normalize`), so spellings that differ only in punctuation are one phrase.
                if normal.is_empty() {
                    errors.push(at(w.span(), format!("`{name}`: an empty phrase")));
                } else if !seen.contains(&normal) {
                    seen.push(normal);
                }
            }
            seen
        };
        let mut controls = BTreeMap::new();
        for (class, words) in [
            (Control::Accept, l.accept),
            (Control::Reject, l.reject),
            (Control::Necessary, l.necessary),
            (Control::ContinueWithout, l.continue_without),
            (Control::Settings, l.settings),
            (Control::Save, l.save),
            (Control::Acknowledge, l.acknowledge),
            (Control::Close, l.close),
        ] {
            let phrases = list(class.key(), words);
            if !phrases.is_empty() {
                controls.insert(class, phrases);
            }
        }
        let lang = Language {
            topic: list("topic", l.topic),
            privacy: list("privacy", l.privacy),
            not_banner: list("not_banner", l.not_banner),
            controls,
            code,
            name: l.name,
            sources: l.sources,
        };
        out.push(lang);
    }
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_normalised_as_pages_are_read() {
        assert_eq!(normalize("  Accept all ›"), "accept all");
        assert_eq!(normalize("Alle akzeptieren!"), "alle akzeptieren");
        assert_eq!(
            normalize("Continuer sans accepter →"),
            "continuer sans accepter"
        );
        assert_eq!(normalize("D’ACCORD"), "d'accord");
        assert_eq!(normalize("Reject all, close"), "reject all close");
        assert_eq!(normalize("opt-out"), "opt-out");
        assert_eq!(normalize("✓ OK"), "ok");
    }

    #[test]
    fn the_packed_vocabulary_unpacks_to_every_phrase_and_marker() {
        let words = BannerWords::embedded().unwrap();
        let compiled = &words.prepared().compiled;
        let wire = compiled.wire();
        // As banner.js unpacks it.
        let phrases: BTreeMap<String, Vec<(String, Vec<String>)>> = wire["phrases"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(phrase, packed)| {
                let meanings = packed
                    .as_str()
                    .unwrap()
                    .split(';')
                    .map(|m| {
                        let (class, langs) = m.split_once(':').unwrap();
                        (
                            class.to_string(),
                            langs.split(',').map(String::from).collect(),
                        )
                    })
                    .collect();
                (phrase.clone(), meanings)
            })
            .collect();
        let expected: BTreeMap<String, Vec<(String, Vec<String>)>> = compiled
            .phrases
            .iter()
            .map(|(p, ms)| {
                let ms = ms
                    .iter()
                    .map(|m| (m.class.to_string(), m.languages.clone()))
                    .collect();
                (p.clone(), ms)
            })
            .collect();
        assert_eq!(phrases, expected);
        let markers = wire["markers"].as_object().unwrap();
        assert_eq!(markers.len(), compiled.markers.len());
        for (word, class) in &compiled.markers {
            assert_eq!(markers[word.as_str()], class.to_string());
        }
    }

    #[test]
    fn the_longest_phrase_wins_and_the_page_language_breaks_ties() {
        let text = r#"
[[language]]
code = "en"
accept = ["accept", "accept all"]
necessary = ["accept only necessary"]
reject = ["reject all", "do not accept"]
[[language]]
code = "xx"
accept = ["ja"]
[[language]]
code = "yy"
reject = ["ja"]
"#;
        let words = BannerWords::build(&[("t.toml", text)], &[]).unwrap();
        let c = words.compile();
        assert_eq!(c.classify("Accept all", None), Some(Control::Accept));
        assert_eq!(
            c.classify("Accept only necessary cookies", None),
            Some(Control::Necessary)
        );
        assert_eq!(c.classify("I do not accept", None), Some(Control::Reject));
        assert_eq!(c.classify("Subscribe", None), None);
        assert_eq!(
            c.classify(
                "a very long label that mentions accept somewhere in it",
                None
            ),
            None,
            "a long text is not a control's label"
        );
        assert_eq!(c.classify("Ja", Some("xx-XX")), Some(Control::Accept));
        assert_eq!(c.classify("Ja", Some("yy")), Some(Control::Reject));
        assert_eq!(c.classify("Ja", None), Some(Control::Reject), "precedence");
    }

    #[test]
    fn a_malformed_file_points_at_the_phrase() {
        let text = "[[language]]\ncode = \"de\"\naccept = [\"Alle Akzeptieren\", \" ! \"]\n";
        let err = BannerWords::with_user_texts(&[("w.toml", text)]).unwrap_err();
        assert_eq!((err.0[0].line, err.0[0].column), (3, 31), "{err}");
        assert!(err.0[0].message.contains("empty phrase"), "{err}");
        let unknown = "[[language]]\ncode = \"de\"\naccpt = [\"x\"]\n";
        let err = BannerWords::with_user_texts(&[("w.toml", unknown)]).unwrap_err();
        assert_eq!(err.0[0].line, 3, "{err}");
        let code = "[[language]]\ncode = \"German\"\n";
        let err = BannerWords::with_user_texts(&[("w.toml", code)]).unwrap_err();
        assert!(err.0[0].message.contains("BCP 47"), "{err}");
    }

    /// Replays `catalog/banner-words-check.tsv`: real and tricky button labels of every language
    /// with the class each must land in (`none`: no class; `not_banner`: words of a dialog that
    /// is no cookie banner, which the scan never clicks).
    #[test]
    fn every_label_of_the_words_check_lands_in_its_class() {
        let words = BannerWords::embedded().unwrap();
        let compiled = words.compile();
        let check = include_str!("../../catalog/banner-words-check.tsv");
        let mut wrong = Vec::new();
        let mut rows = 0;
        for line in check.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let [lang, label, want] = cols[..] else {
                panic!("not three columns: {line}");
            };
            rows += 1;
            let got = compiled.classify(label, Some(lang));
            let ok = match want {
                "none" => got.is_none(),
                "not_banner" => {
                    let padded = format!(" {} ", normalize(label));
                    compiled
                        .not_banner
                        .iter()
                        .any(|w| padded.contains(&format!(" {w} ")))
                }
                class => got.map(Control::key) == Some(class),
            };
            if !ok {
                wrong.push(format!("{lang} {label:?}: want {want}, got {got:?}"));
            }
        }
        assert!(rows > 1000, "{rows} rows");
        assert!(
            wrong.is_empty(),
            "{} of {rows} wrong:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn the_vocabulary_covers_the_languages_of_the_eu_eea_uk_and_switzerland() {
        let words = BannerWords::embedded().unwrap();
        let codes: Vec<&str> = words.languages().iter().map(|l| l.code.as_str()).collect();
        for code in [
            "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
            "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "no", "is", "cy", "ca",
            "eu", "gl", "lb", "rm", "tr",
        ] {
            assert!(codes.contains(&code), "no words for {code}");
        }
        for l in words.languages() {
            assert!(!l.sources.is_empty(), "{}: no sources", l.code);
            assert!(!l.topic.is_empty(), "{}: no topic words", l.code);
            for class in [
                Control::Accept,
                Control::Reject,
                Control::Necessary,
                Control::Settings,
                Control::Save,
            ] {
                assert!(
                    l.controls.contains_key(&class),
                    "{}: no {class} phrases",
                    l.code
                );
            }
        }
        // One phrase, one meaning: the file never gives one phrase two classes.
        let compiled = words.compile();
        let ambiguous: Vec<&String> = compiled
            .phrases
            .iter()
            .filter(|(_, m)| m.len() > 1)
            .map(|(p, _)| p)
            .collect();
        assert!(ambiguous.is_empty(), "{ambiguous:?}");
    }

    #[test]
    fn a_user_file_extends_a_known_language() {
        let extra = "[[language]]\ncode = \"de\"\naccept = [\"na klar\"]\n";
        let words = BannerWords::with_user_texts(&[("mine.toml", extra)]).unwrap();
        assert_eq!(words.classify("Na klar!", None), Some(Control::Accept));
        assert!(words.version().contains("+user."), "{}", words.version());
        let embedded = BannerWords::embedded().unwrap();
        assert_eq!(words.languages().len(), embedded.languages().len());
    }
}
