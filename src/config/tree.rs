//! A TOML document read with the byte span of every key and value, so a configuration error can name
//! the line it is on. `toml::Value` drops spans; this keeps them (through `toml::Spanned`).

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// A value and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub span: Range<usize>,
    pub value: Val,
}

/// A key and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime,
    Array(Vec<Item>),
    /// Entries in file order.
    Table(Vec<(Key, Item)>),
}

impl Val {
    /// `a string`, `an array`… for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a number",
            Val::Bool(_) => "a boolean",
            Val::Datetime => "a date",
            Val::Array(_) => "an array",
            Val::Table(_) => "a table",
        }
    }

    /// The plain `toml::Value` (spans dropped), for values handed on to the rule compiler.
    pub fn to_toml(&self) -> toml::Value {
        match self {
            Val::Str(s) => toml::Value::String(s.clone()),
            Val::Int(i) => toml::Value::Integer(*i),
            Val::Float(f) => toml::Value::Float(*f),
            Val::Bool(b) => toml::Value::Boolean(*b),
            Val::Datetime => toml::Value::String(String::new()),
            Val::Array(items) => toml::Value::Array(items.iter().map(|i| i.value.to_toml()).collect()),
            Val::Table(entries) => {
                toml::Value::Table(entries.iter().map(|(k, v)| (k.name.clone(), v.value.to_toml())).collect())
            }
        }
    }
}

/// Parses a TOML document; the error carries the byte offset it was found at.
pub fn parse(text: &str) -> Result<Item, (usize, String)> {
    toml::from_str::<Item>(text)
        .map_err(|e| (e.span().map(|s| s.start).unwrap_or(0), e.message().to_string()))
}

impl<'de> de::Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        d.deserialize_struct(SPANNED_NAME, &SPANNED_FIELDS, ItemVisitor)
    }
}

/// Reads a value through toml's span protocol (a map of start, end and value) when the deserializer
/// knows the span, and as a plain value when it does not (a table only implied by `[a.b]` has no
/// span of its own: it gets `0..0`).
struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Item, E> {
        Ok(Item { span: 0..0, value: Val::Bool(v) })
    }
    fn visit_i64<E>(self, v: i64) -> Result<Item, E> {
        Ok(Item { span: 0..0, value: Val::Int(v) })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item, E> {
        ValVisitor.visit_u64(v).map(|value| Item { span: 0..0, value })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Item, E> {
        Ok(Item { span: 0..0, value: Val::Float(v) })
    }
    fn visit_str<E>(self, v: &str) -> Result<Item, E> {
        Ok(Item { span: 0..0, value: Val::Str(v.to_string()) })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
        ValVisitor.visit_seq(seq).map(|value| Item { span: 0..0, value })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let Some(first) = map.next_key::<KeyName>()? else {
            return Ok(Item { span: 0..0, value: Val::Table(Vec::new()) });
        };
        if first.name == SPANNED_FIELDS[0] {
            let start: usize = map.next_value()?;
            let mut end = start;
            let mut value = None;
            while let Some(key) = map.next_key::<KeyName>()? {
                if key.name == SPANNED_FIELDS[1] {
                    end = map.next_value()?;
                } else {
                    value = Some(map.next_value::<Val>()?);
                }
            }
            let value = value.ok_or_else(|| de::Error::custom("a spanned value without its value"))?;
            return Ok(Item { span: start..end, value });
        }
        if first.name == DATETIME_KEY {
            let _: de::IgnoredAny = map.next_value()?;
            return Ok(Item { span: 0..0, value: Val::Datetime });
        }
        let mut entries = Vec::new();
        let mut key = Some(first);
        while let Some(k) = key {
            let value = map.next_value::<Item>()?;
            entries.push((Key { name: k.name, span: k.span }, value));
            key = map.next_key::<KeyName>()?;
        }
        Ok(Item { span: 0..0, value: Val::Table(entries) })
    }
}

impl<'de> de::Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Val, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

struct ValVisitor;

/// The key toml uses to hand a datetime to a visitor as a one-entry map.
const DATETIME_KEY: &str = "$__toml_private_datetime";

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Val, E> {
        Ok(Val::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Val, E> {
        Ok(Val::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val, E> {
        i64::try_from(v).map(Val::Int).map_err(|_| E::custom("integer too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Val, E> {
        Ok(Val::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Val, E> {
        Ok(Val::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Val, E> {
        Ok(Val::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Item>()? {
            items.push(item);
        }
        Ok(Val::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<KeyName>()? {
            if key.name == DATETIME_KEY {
                let _: de::IgnoredAny = map.next_value()?;
                return Ok(Val::Datetime);
            }
            let value = map.next_value::<Item>()?;
            entries.push((Key { name: key.name, span: key.span }, value));
        }
        Ok(Val::Table(entries))
    }
}

/// A table key with its span; the datetime pseudo-key comes without one.
struct KeyName {
    name: String,
    span: Range<usize>,
}

impl<'de> de::Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyName, D::Error> {
        // Table keys support `Spanned`; the datetime map's key is a plain string, which `Spanned`
        // rejects, so accept both.
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyName, E> {
                Ok(KeyName { name: v.to_string(), span: 0..0 })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyName, A::Error> {
                let s: Spanned<String> =
                    de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let span = s.span();
                Ok(KeyName { name: s.into_inner(), span })
            }
        }
        d.deserialize_struct(SPANNED_NAME, &SPANNED_FIELDS, V)
    }
}

// The names `toml::Spanned` asks the deserializer for; the toml deserializer recognises them.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_FIELDS: [&str; 3] =
    ["$__serde_spanned_private_start", "$__serde_spanned_private_end", "$__serde_spanned_private_value"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spans_of_keys_and_values() {
        let text = "a = 1\n[t]\nb = [\"x\"]\nwhen = 2026-01-01\n";
        let doc = parse(text).unwrap_or_else(|e| panic!("{e:?}"));
        let Val::Table(entries) = &doc.value else { panic!("table") };
        assert_eq!(entries[0].0.name, "a");
        assert_eq!(&text[entries[0].0.span.clone()], "a");
        let Val::Table(t) = &entries[1].1.value else { panic!("table") };
        assert_eq!(&text[t[0].0.span.clone()], "b");
        assert_eq!(&text[t[0].1.span.clone()], "[\"x\"]");
        assert_eq!(t[1].1.value, Val::Datetime);
    }
}
