//! The group robots notifications go to (`robot.webhook_urls`), by name.

use anyhow::Context;
use secrecy::SecretString;

use crate::config::RobotSettings;

/// The configured robots, by name.
#[derive(Clone)]
pub struct Robots {
    list: Vec<(String, SecretString)>,
    default: Option<String>,
}

impl std::fmt::Debug for Robots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Robots")
            .field("names", &self.names())
            .field("default", &self.default)
            .finish()
    }
}

impl Robots {
    pub fn from_settings(s: &RobotSettings) -> anyhow::Result<Self> {
        for (name, url) in &s.webhook_urls {
            let parsed = url::Url::parse(secrecy::ExposeSecret::expose_secret(url))
                .with_context(|| format!("robot.webhook_urls: robot {name:?} is not a URL"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "http" | "https"),
                "robot.webhook_urls: robot {name:?} must be an http(s) URL"
            );
        }
        if let Some(d) = &s.default {
            anyhow::ensure!(
                s.webhook_urls.iter().any(|(n, _)| n == d),
                "robot.default = {d:?} names no robot in robot.webhook_urls"
            );
        }
        Ok(Self {
            list: s.webhook_urls.clone(),
            default: s.default.clone(),
        })
    }

    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The robot a notification goes to: the one it names, else the default one.
    pub fn pick(&self, name: Option<&str>) -> Option<&str> {
        let wanted = name.or(self.default.as_deref());
        match wanted {
            Some(w) => self.list.iter().find(|(n, _)| n == w),
            None => self.list.first(),
        }
        .map(|(n, _)| n.as_str())
    }

    pub(super) fn url(&self, name: &str) -> Option<&SecretString> {
        self.list.iter().find(|(n, _)| n == name).map(|(_, u)| u)
    }
}
