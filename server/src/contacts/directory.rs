//! Member names for pages, from `user/get`, cached for a while.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use desk_shared::Person;

use crate::wecom::{WeComClient, WeComError};

const TTL: Duration = Duration::from_secs(600);
/// A member WeCom could not name is not asked about again for this long by `person`
/// (a departed designer on every page of the admin's orders costs one call a minute).
const UNNAMED_TTL: Duration = Duration::from_secs(60);

/// A small cache of member names.
#[derive(Default)]
pub struct MemberDirectory {
    names: parking_lot::RwLock<HashMap<String, (String, Instant)>>,
    unnamed: parking_lot::RwLock<HashMap<String, Instant>>,
}

impl MemberDirectory {
    /// The member, or WeCom's error (60111 when there is no such member).
    pub async fn lookup(&self, wecom: &WeComClient, userid: &str) -> Result<Person, WeComError> {
        if let Some((name, at)) = self.names.read().get(userid) {
            if at.elapsed() < TTL {
                return Ok(Person {
                    user_id: userid.to_string(),
                    name: name.clone(),
                });
            }
        }
        let m = wecom.member(userid).await?;
        self.names
            .write()
            .insert(userid.to_string(), (m.name.clone(), Instant::now()));
        Ok(Person {
            user_id: m.userid,
            name: m.name,
        })
    }

    /// The name last read for `userid`, however old (a member who left can no longer
    /// be asked).
    pub fn known_name(&self, userid: &str) -> Option<String> {
        self.names.read().get(userid).map(|(name, _)| name.clone())
    }

    /// Keeps `name` for `userid` (a member who left, whom WeCom no longer names).
    pub fn remember(&self, userid: &str, name: &str) {
        if !name.is_empty() {
            self.names
                .write()
                .insert(userid.to_string(), (name.to_string(), Instant::now()));
        }
    }

    /// The member's name for display; the user id when WeCom cannot say.
    pub async fn person(&self, wecom: &WeComClient, userid: &str) -> Person {
        let unnamed = || Person {
            user_id: userid.to_string(),
            name: userid.to_string(),
        };
        if self
            .unnamed
            .read()
            .get(userid)
            .is_some_and(|at| at.elapsed() < UNNAMED_TTL)
        {
            return unnamed();
        }
        match self.lookup(wecom, userid).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, userid, "member name unavailable");
                if let Some(name) = self.known_name(userid) {
                    return Person {
                        user_id: userid.to_string(),
                        name,
                    };
                }
                let mut list = self.unnamed.write();
                // Bounded: what has expired goes once the list is long.
                if list.len() >= 1024 {
                    list.retain(|_, at| at.elapsed() < UNNAMED_TTL);
                }
                list.insert(userid.to_string(), Instant::now());
                unnamed()
            }
        }
    }
}
