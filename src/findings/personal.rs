//! Personal-data detectors for cookie and storage values: they name the kind and where, never the value.

use regex::Regex;
use std::sync::LazyLock;

/// One piece of personal data found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalData {
    /// `e-mail address`, `phone number`, or `name` (a field named like a person's name).
    pub kind: &'static str,
    /// Where in the value: `value`, or a JSON path such as `$.client_info.email`.
    pub location: String,
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}").unwrap()
});
// International format only (a leading +): bare digit runs are timestamps and ids far more often.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\+[1-9]\d{0,2}[\s.\-]?\(?\d{1,4}\)?(?:[\s.\-]?\d{2,5}){2,4}").unwrap()
});
/// JSON field names that hold a person's name.
const NAME_FIELDS: &[&str] = &[
    "name",
    "client_name",
    "display_name",
    "full_name",
    "first_name",
    "last_name",
    "firstname",
    "lastname",
];

/// Finds personal data in a value, looking inside JSON (and URL-encoded text) where it can.
pub fn scan_value(value: &str) -> Vec<PersonalData> {
    let mut out = Vec::new();
    match serde_json::from_str::<serde_json::Value>(value) {
        Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            walk(&v, "$", &mut out, 0)
        }
        _ => {
            let decoded = percent_decode_lossy(value);
            scan_text(&decoded, "value", &mut out);
        }
    }
    out.dedup();
    out
}

fn scan_text(text: &str, location: &str, out: &mut Vec<PersonalData>) {
    if EMAIL.is_match(text) {
        out.push(PersonalData {
            kind: "e-mail address",
            location: location.to_string(),
        });
    }
    if PHONE.is_match(text) {
        out.push(PersonalData {
            kind: "phone number",
            location: location.to_string(),
        });
    }
}

fn walk(v: &serde_json::Value, path: &str, out: &mut Vec<PersonalData>, depth: usize) {
    // Deeply nested values are not worth unbounded recursion.
    if depth > 32 {
        return;
    }
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{path}.{k}");
                if let serde_json::Value::String(s) = child
                    && !s.trim().is_empty()
                    && NAME_FIELDS.contains(&k.to_ascii_lowercase().as_str())
                {
                    out.push(PersonalData {
                        kind: "name",
                        location: p.clone(),
                    });
                }
                walk(child, &p, out, depth + 1);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate().take(1000) {
                walk(child, &format!("{path}[{i}]"), out, depth + 1);
            }
        }
        serde_json::Value::String(s) => {
            // A string may itself hold JSON (stores inside stores).
            match serde_json::from_str::<serde_json::Value>(s) {
                Ok(inner @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                    walk(&inner, path, out, depth + 1)
                }
                _ => scan_text(s, path, out),
            }
        }
        _ => {}
    }
}

fn percent_decode_lossy(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_emails_and_phones_in_plain_and_encoded_values() {
        let kinds = |v: &str| {
            scan_value(v)
                .into_iter()
                .map(|p| p.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds("visitor@example.com"), ["e-mail address"]);
        assert_eq!(kinds("visitor%40example.com"), ["e-mail address"]);
        assert_eq!(kinds("call +49 30 1234567"), ["phone number"]);
        assert_eq!(kinds("+1 (415) 555-0100"), ["phone number"]);
    }

    #[test]
    fn ids_and_timestamps_are_not_personal_data() {
        for v in [
            "1700000000123",
            "5f2b1c0e9a8d7c6b5a4f3e2d",
            "GA1.2.1234567890.1700000000",
            "true",
            "0",
            "a@b",
        ] {
            assert!(scan_value(v).is_empty(), "{v}: {:?}", scan_value(v));
        }
    }

    #[test]
    fn json_values_report_the_path() {
        let v = r#"{"client_id":"x","client_info":{"client_name":"Ann","email":"ann@example.com","phone":"+49 30 1234567"}}"#;
        let found = scan_value(v);
        assert!(found.contains(&PersonalData {
            kind: "name",
            location: "$.client_info.client_name".into()
        }));
        assert!(found.contains(&PersonalData {
            kind: "e-mail address",
            location: "$.client_info.email".into()
        }));
        assert!(found.contains(&PersonalData {
            kind: "phone number",
            location: "$.client_info.phone".into()
        }));
        let nested = r#"{"store":"{\"email\":\"a@example.org\"}"}"#;
        assert_eq!(scan_value(nested)[0].location, "$.store.email");
    }
}
