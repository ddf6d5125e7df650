//! Property-based fuzzing of every parser that reads user input: none may panic or hang, and
//! every rejection must carry a position. `PROPTEST_CASES` raises the case count for longer runs.

use chatcookie::capture::parse_capture;
use chatcookie::catalog::Catalog;
use chatcookie::catalog::pattern::Pattern;
use chatcookie::consent::CmpRules;
use chatcookie::policy::Policy;
use proptest::prelude::*;
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::embedded().unwrap());

const POLICY: &str = r##"[scan]
urls = ["https://www.example.com/"]
consent_click = "#cc-accept"
[gate]
fail_on = ["undeclared", "high"]
[[declare]]
name = "twk_uuid_{propertyId}"
storage = "cookie"
vendor = "tawkto"
earliest_step = "consent"
max_lifetime = "6 months"
purpose = "Recognises returning chat visitors."
"##;

const HAR: &str = r#"{"log":{"entries":[{"request":{"url":"https://embed.tawk.to/x/default","cookies":[{"name":"twk_idm_key","value":"v"}]},"response":{"cookies":[],"headers":[{"name":"Set-Cookie","value":"TawkConnectionTime=0; Path=/; Domain=.shop.example"}]}}]}}"#;

/// A valid text with a few bytes replaced, inserted or deleted.
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec((0..base.len(), any::<u8>(), 0..3u8), 1..6).prop_map(move |edits| {
        let mut b = base.as_bytes().to_vec();
        for (pos, byte, kind) in edits {
            let pos = pos.min(b.len().saturating_sub(1));
            match kind {
                0 => b[pos] = byte,
                1 => b.insert(pos, byte),
                _ => {
                    b.remove(pos);
                }
            }
        }
        String::from_utf8_lossy(&b).into_owned()
    })
}

/// Text shaped like the inputs: cookie syntax, JSON and TOML punctuation, ids, control characters.
fn tokens() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("Cookie: ".to_string()),
            Just("=".to_string()),
            Just("; ".to_string()),
            Just("\n".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("\"".to_string()),
            Just(":".to_string()),
            Just(",".to_string()),
            Just("\\u".to_string()),
            Just("\u{0}".to_string()),
            Just("\u{1b}[31m".to_string()),
            Just("twk_uuid_".to_string()),
            Just("{propertyId}".to_string()),
            Just("*".to_string()),
            "[a-zA-Z0-9_.-]{0,12}",
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn captures_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_capture(&bytes);
    }

    #[test]
    fn captures_never_panic_on_shaped_text(text in tokens()) {
        if let Ok(c) = parse_capture(text.as_bytes()) {
            prop_assert!(!c.keys.is_empty());
        }
    }

    #[test]
    fn captures_never_panic_on_mutated_har(text in mutated(HAR)) {
        let _ = parse_capture(text.as_bytes());
    }

    #[test]
    fn policies_are_parsed_or_rejected_with_a_position(text in mutated(POLICY)) {
        if let Err(d) = Policy::parse("chatcookie.toml", &text, &CATALOG) {
            prop_assert!(!d.0.is_empty());
            for e in &d.0 {
                prop_assert!(e.line >= 1 && e.column >= 1);
                let _ = e.to_string();
            }
        }
    }

    #[test]
    fn policies_never_panic_on_shaped_text(text in tokens()) {
        let _ = Policy::parse("chatcookie.toml", &text, &CATALOG);
    }

    #[test]
    fn catalogs_are_parsed_or_rejected_with_a_position(text in mutated(include_str!("../examples/catalog-other-widgets-intercom.toml"))) {
        if let Err(d) = Catalog::with_user_texts(&[("user.toml", &text)]) {
            for e in &d.0 {
                prop_assert!(e.line >= 1 && e.column >= 1);
                let _ = e.to_string();
            }
        }
    }

    #[test]
    fn consent_rules_are_parsed_or_rejected_with_a_position(text in mutated(include_str!("../catalog/cmps.toml").get(..1500).unwrap_or_default())) {
        if let Err(d) = CmpRules::with_user_texts(&[("rules.toml", &text)]) {
            for e in &d.0 {
                prop_assert!(e.line >= 1 && e.column >= 1);
            }
        }
    }

    #[test]
    fn patterns_match_in_bounded_time(pattern in tokens(), name in "[ -~]{0,64}") {
        if let Ok(p) = Pattern::parse(&pattern) {
            let _ = p.captures(&name);
            let _ = p.overlaps(&p);
            prop_assert!(p.is_match(&name) == p.captures(&name).is_some());
        }
    }
}
