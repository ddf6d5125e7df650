//! JSON captures: dispatch on the top-level shape; errors with line, column and field path; lenient leaf fields.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

use super::{CaptureError, CaptureFormat, CaptureTally, Emitter, Sink};
use super::{har, json_array, storage_state};

/// A JSON document, by its top-level shape.
enum Doc {
    Har(har::Log),
    StorageState(storage_state::State),
    Array(Vec<json_array::Item>),
    /// Valid JSON of no known shape: what it was.
    Other(String),
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DocVisitor;

        impl<'de> Visitor<'de> for DocVisitor {
            type Value = Doc;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a HAR file, a storageState or an array of names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
                let mut log = None;
                let mut state: Option<storage_state::State> = None;
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "log" => log = Some(map.next_value::<har::Log>()?),
                        "cookies" => {
                            let cookies = map.next_value::<Option<Vec<storage_state::Cookie>>>()?;
                            state.get_or_insert_with(Default::default).cookies =
                                cookies.unwrap_or_default();
                        }
                        "origins" => {
                            let origins = map.next_value::<Option<Vec<storage_state::Origin>>>()?;
                            state.get_or_insert_with(Default::default).origins =
                                origins.unwrap_or_default();
                        }
                        _ => {
                            if keys.len() < 5 {
                                keys.push(format!("{key:?}"));
                            }
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(match (log, state) {
                    (Some(log), _) => Doc::Har(log),
                    (None, Some(state)) => Doc::StorageState(state),
                    (None, None) if keys.is_empty() => Doc::Other("an empty object".into()),
                    (None, None) => Doc::Other(format!("an object with {}", keys.join(", "))),
                })
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
                let mut items = Vec::new();
                while let Some(item) =
                    seq.next_element_seed(json_array::ItemSeed(items.len() + 1))?
                {
                    items.push(item);
                }
                Ok(Doc::Array(items))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Doc, E> {
                Ok(Doc::Other("a boolean".into()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Doc, E> {
                Ok(Doc::Other("a number".into()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Doc, E> {
                Ok(Doc::Other("a number".into()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Doc, E> {
                Ok(Doc::Other("a number".into()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Doc, E> {
                Ok(Doc::Other("a string".into()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Doc, E> {
                Ok(Doc::Other("null".into()))
            }
        }

        deserializer.deserialize_any(DocVisitor)
    }
}

/// Parses `text` (the whole input, BOM dropped) and passes its keys on.
pub fn read(text: &str, sink: &mut impl Sink) -> Result<CaptureTally, CaptureError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let doc: Doc = serde_path_to_error::deserialize(&mut de).map_err(path_error)?;
    de.end().map_err(|e| syntax_error(&e))?;
    let format = match &doc {
        Doc::Har(_) => CaptureFormat::Har,
        Doc::StorageState(_) => CaptureFormat::StorageState,
        Doc::Array(_) => CaptureFormat::JsonArray,
        Doc::Other(what) => return Err(CaptureError::UnknownJson(format!("it is {what}"))),
    };
    sink.format(format);
    let mut out = Emitter::new(sink, format);
    match doc {
        Doc::Har(log) => har::emit(log, &mut out),
        Doc::StorageState(state) => storage_state::emit(state, &mut out),
        Doc::Array(items) => json_array::emit(items, &mut out),
        Doc::Other(_) => unreachable!("returned above"),
    }
    Ok(out.summary())
}

/// serde_json's message without its " at line L column C" suffix.
fn bare_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    full.strip_suffix(&position).unwrap_or(&full).to_owned()
}

fn syntax_error(err: &serde_json::Error) -> CaptureError {
    CaptureError::Json {
        message: bare_message(err),
        line: err.line(),
        column: err.column(),
    }
}

/// Bad syntax, or valid JSON with a wrong type where a container was needed (with its path).
fn path_error(err: serde_path_to_error::Error<serde_json::Error>) -> CaptureError {
    let path = err.path().to_string();
    let inner = err.inner();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => syntax_error(inner),
        Category::Data => {
            let format = if path.starts_with("log") {
                CaptureFormat::Har
            } else if path.starts_with("cookies") || path.starts_with("origins") {
                CaptureFormat::StorageState
            } else {
                CaptureFormat::JsonArray
            };
            CaptureError::JsonShape {
                format,
                path,
                message: bare_message(inner),
                line: inner.line(),
                column: inner.column(),
            }
        }
    }
}

/// A leaf field read leniently: a string, or `None` for any other type (skipped unallocated),
/// so that an odd type in one cookie drops that cookie's field instead of failing the file.
#[derive(Debug, Default)]
pub struct Text(pub Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text(Some(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Text, E> {
                Ok(Text(Some(s)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }

        deserializer.deserialize_any(TextVisitor)
    }
}

/// One `{name, value}` header (HAR) or storage item (storageState).
#[derive(Deserialize, Default)]
#[serde(default, expecting = "a {name, value} object")]
pub struct NameValue {
    pub name: Text,
    pub value: Text,
}

/// The values of the `Cookie` and `Set-Cookie` headers of a HAR header list; other headers are
/// dropped while parsing so that a large HAR never holds all its headers at once. Null or
/// absent is an empty list.
#[derive(Default)]
pub struct CookieHeaders {
    pub cookie: Vec<String>,
    pub set_cookie: Vec<String>,
}

impl<'de> Deserialize<'de> for CookieHeaders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadersVisitor;

        impl<'de> Visitor<'de> for HeadersVisitor {
            type Value = CookieHeaders;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of {name, value} headers")
            }

            fn visit_unit<E: de::Error>(self) -> Result<CookieHeaders, E> {
                Ok(CookieHeaders::default())
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CookieHeaders, A::Error> {
                let mut kept = CookieHeaders::default();
                while let Some(header) = seq.next_element::<NameValue>()? {
                    let (Some(name), Some(value)) = (header.name.0, header.value.0) else {
                        continue;
                    };
                    let name = name.trim();
                    if name.eq_ignore_ascii_case("set-cookie") {
                        kept.set_cookie.push(value);
                    } else if name.eq_ignore_ascii_case("cookie") {
                        kept.cookie.push(value);
                    }
                }
                Ok(kept)
            }
        }

        deserializer.deserialize_any(HeadersVisitor)
    }
}
