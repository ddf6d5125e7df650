//! JSON arrays of names, or of `{name, storage?, domain?, value?}` objects (Puppeteer's `page.cookies()` included).
//!
//! `storage` is parsed as a [`StorageKind`]; without one, an object carrying a cookie's fields
//! (`expires`, `httpOnly`, `secure`, `sameSite`, `session`, `size`, `path`, … as Puppeteer, CDP
//! and cookie-export extensions write them) is a cookie, otherwise the storage is unknown. Any
//! other field is accepted and skipped. An item that is neither a string nor an object with a
//! string `name`, or a `storage`/`domain`/`value` of another type than string or null, is an
//! error naming the item (from 1).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::{CapturedKey, Emitter, Sink, normalize_domain};
use crate::vocab::StorageKind;

/// Fields only a cookie object has.
const COOKIE_FIELDS: [&str; 12] = [
    "expires",
    "expirationDate",
    "httpOnly",
    "secure",
    "sameSite",
    "session",
    "size",
    "path",
    "hostOnly",
    "priority",
    "sameParty",
    "sourceScheme",
];

pub struct Item {
    name: String,
    storage: Option<StorageKind>,
    domain: Option<String>,
    value: Option<String>,
    number: usize,
}

/// Reads item `number` (from 1).
pub struct ItemSeed(pub usize);

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Item, D::Error> {
        deserializer.deserialize_any(ItemVisitor(self.0))
    }
}

struct ItemVisitor(usize);

impl ItemVisitor {
    fn not_an_item<E: de::Error>(&self, what: &str) -> E {
        E::custom(format!(
            "item {} is {what}, not a name or an object with a \"name\"",
            self.0
        ))
    }
}

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a name or an object with a \"name\"")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Item, E> {
        Ok(Item {
            name: name.to_owned(),
            storage: None,
            domain: None,
            value: None,
            number: self.0,
        })
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Item, E> {
        Err(self.not_an_item("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Item, E> {
        Err(self.not_an_item("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Item, E> {
        Err(self.not_an_item("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Item, E> {
        Err(self.not_an_item("a number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
        Err(self.not_an_item("null"))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Item, A::Error> {
        Err(self.not_an_item("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let number = self.0;
        let (mut name, mut storage, mut domain, mut value) = (None, None, None, None);
        let mut cookie_fields = false;
        let string = |field: &str, v: Value| -> Result<Option<String>, A::Error> {
            match v {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s)),
                other => Err(de::Error::custom(format!(
                    "item {number} has a \"{field}\" that is {}, not a string",
                    kind(&other)
                ))),
            }
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => name = Some(map.next_value::<Value>()?),
                "storage" => storage = string("storage", map.next_value()?)?,
                "domain" => domain = string("domain", map.next_value()?)?,
                "value" => value = string("value", map.next_value()?)?,
                other => {
                    cookie_fields |= COOKIE_FIELDS.contains(&other);
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(Value::String(name)) = name else {
            return Err(de::Error::custom(format!(
                "item {number} has no string \"name\""
            )));
        };
        let storage = match storage {
            Some(s) => Some(s.parse::<StorageKind>().map_err(|_| {
                de::Error::custom(format!(
                    "item {number} has an unknown storage {s:?} (expected cookie, localStorage or sessionStorage)"
                ))
            })?),
            None => cookie_fields.then_some(StorageKind::Cookie),
        };
        Ok(Item {
            name,
            storage,
            domain: domain.as_deref().and_then(normalize_domain),
            value,
            number,
        })
    }
}

pub fn emit<S: Sink + ?Sized>(items: Vec<Item>, out: &mut Emitter<'_, S>) {
    for item in items {
        out.key(CapturedKey {
            name: item.name,
            storage: item.storage,
            domain: item.domain,
            value: item.value,
            origin: format!("item {}", item.number),
        });
    }
}
