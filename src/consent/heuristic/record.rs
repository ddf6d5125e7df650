//! Which stored keys are a banner's record of the visitor's choice: by the words of their names.

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
