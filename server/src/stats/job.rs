//! The daily read of 群聊数据统计: every day from the last one read (the last 30 on
//! the first read) up to yesterday, one day at a time, for the designers of orders
//! with a customer group, ≤ 100 owners a call; one instance at a time. WeCom keeps
//! 180 days and answers from yesterday back, so nothing older is asked for. A day
//! read before 06:00 Beijing of the day after (WeCom may not have all of it yet) is
//! read again; an owner WeCom refuses (left, or outside the app's range) is left out
//! of the day instead of stopping it.

use std::time::Duration;

use desk_shared::storevisit::GroupStats;
use time::Date;

use super::days::{day_of, name, parse, start_of};
use super::{store, GroupStatsJob};
use crate::wecom::types::{GroupStatisticData, GroupStatisticQuery, OwnerFilter};
use crate::wecom::{WeComError, WeComErrorKind};

/// Days read back on the first read.
pub const FIRST_READ_DAYS: i64 = 30;
/// WeCom keeps this many days.
pub const KEPT_DAYS: i64 = 180;
/// Owners one call may name.
pub const OWNERS_PER_CALL: usize = 100;
/// Owners asked for a page (WeCom: 1 to 1,000).
const PAGE: u32 = 1000;
/// How long one round may hold the job's lease.
const LEASE: Duration = Duration::from_secs(900);
/// A day counts as read once read this long after its end (06:00 Beijing).
const SETTLED_SECS: i64 = 6 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    WeCom(#[from] WeComError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl GroupStatsJob {
    /// Reads every missing day up to yesterday; how many days were read. Another
    /// instance reading now: nothing (0).
    pub async fn read_missing(&self) -> Result<usize, ReadError> {
        let Some(_lease) = crate::lease::Lease::try_take(&self.db, "stats.groups", LEASE).await?
        else {
            return Ok(0);
        };
        let owners = store::owners(&self.db).await?;
        if owners.is_empty() {
            // Nobody's groups to count yet: the first read waits for the first group.
            return Ok(0);
        }
        let yesterday = day_of(self.clock.now_secs()) - time::Duration::days(1);
        let oldest = yesterday - time::Duration::days(KEPT_DAYS - 1);
        let last = store::last_read(&self.db)
            .await?
            .and_then(|(day, read_at)| Some((parse(&day)?, read_at)));
        let first = match last {
            // Read too early: WeCom may have had only part of it.
            Some((day, read_at))
                if read_at < start_of(day + time::Duration::days(1)) + SETTLED_SECS =>
            {
                day
            }
            Some((day, _)) => day + time::Duration::days(1),
            None => yesterday - time::Duration::days(FIRST_READ_DAYS - 1),
        }
        .max(oldest);
        let mut day = first;
        let mut read = 0;
        while day <= yesterday {
            self.read_day(day, &owners).await?;
            read += 1;
            day += time::Duration::days(1);
        }
        if read > 0 {
            tracing::info!(days = read, through = %name(yesterday), "group statistics read");
        }
        Ok(read)
    }

    /// A round of the background worker.
    pub async fn round(&self) {
        if let Err(e) = self.read_missing().await {
            tracing::warn!(error = %e, "group statistics could not be read; trying again at the next round");
        }
    }

    /// Reads `day` for `owners` and keeps it. A call WeCom refuses for an owner it will
    /// not count (left, outside the app's range) is split in halves until that owner
    /// alone is left out.
    async fn read_day(&self, day: Date, owners: &[String]) -> Result<(), ReadError> {
        let mut rows = Vec::with_capacity(owners.len());
        let mut calls: Vec<&[String]> = owners.chunks(OWNERS_PER_CALL).collect();
        while let Some(chunk) = calls.pop() {
            match self.read_owners(day, chunk).await {
                Ok(read) => rows.extend(read),
                Err(e) if refuses_owner(&e) && chunk.len() > 1 => {
                    let (a, b) = chunk.split_at(chunk.len() / 2);
                    calls.extend([a, b]);
                }
                Err(e) if refuses_owner(&e) => {
                    tracing::warn!(owner = %chunk[0], day = %name(day), error = %e, "WeCom has no statistics for this owner (left, or outside the app's range); left out");
                }
                Err(e) => return Err(e.into()),
            }
        }
        store::save_day(&self.db, &name(day), &rows, self.clock.now_secs()).await?;
        Ok(())
    }

    /// One owner filter's numbers for `day`, every page.
    async fn read_owners(
        &self,
        day: Date,
        chunk: &[String],
    ) -> Result<Vec<(String, GroupStats)>, WeComError> {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut offset = 0u32;
        loop {
            let query = GroupStatisticQuery {
                day_begin_time: start_of(day),
                day_end_time: Some(start_of(day)),
                owner_filter: Some(OwnerFilter {
                    userid_list: chunk.to_vec(),
                }),
                offset: Some(offset),
                limit: Some(PAGE),
                ..Default::default()
            };
            let page = self.wecom.group_statistic(&query).await?;
            let got = page.items.len() as u32;
            rows.extend(page.items.into_iter().map(|i| (i.owner, stats_of(&i.data))));
            offset += got;
            // ≤ 100 owners fit one page; a short or empty page ends it anyway.
            if got == 0 || got < PAGE || offset >= page.total {
                break;
            }
        }
        Ok(rows)
    }
}

/// WeCom refused the call for one of its owners.
fn refuses_owner(e: &WeComError) -> bool {
    matches!(
        e.kind(),
        WeComErrorKind::NotInAppRange | WeComErrorKind::NoSuchMember
    )
}

fn stats_of(d: &GroupStatisticData) -> GroupStats {
    GroupStats {
        new_chats: d.new_chat_cnt,
        chats: d.chat_total,
        chats_with_messages: d.chat_has_msg,
        new_members: d.new_member_cnt,
        members: d.member_total,
        members_with_messages: d.member_has_msg,
        messages: d.msg_total,
    }
}
