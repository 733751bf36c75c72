//! Lists in the settings, given as TOML or environment arrays or as one
//! comma-separated string, and named secrets.

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

/// A list given either as a TOML/env array or as one comma-separated string
/// (`DESK__SERVER__ALLOWED_ORIGINS=https://a,https://b`).
#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrString {
    List(Vec<String>),
    One(String),
}

impl ListOrString {
    fn into_vec(self) -> Vec<String> {
        match self {
            ListOrString::List(v) => v,
            ListOrString::One(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        }
    }
}

pub(super) fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(ListOrString::deserialize(d)?.into_vec())
}

/// Named secrets as a table (`{name = value}`, in the file's order of names sorted),
/// or as a list / comma-separated string (named `1`, `2`, …).
pub(super) fn named_secrets<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<(String, SecretString)>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Named {
        Table(std::collections::BTreeMap<String, String>),
        List(ListOrString),
    }
    Ok(match Named::deserialize(d)? {
        Named::Table(t) => t.into_iter().map(|(k, v)| (k, v.into())).collect(),
        Named::List(l) => l
            .into_vec()
            .into_iter()
            .enumerate()
            .map(|(i, v)| ((i + 1).to_string(), v.into()))
            .collect(),
    })
}

pub(super) fn secret_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SecretString>, D::Error> {
    Ok(list(d)?.into_iter().map(SecretString::from).collect())
}
