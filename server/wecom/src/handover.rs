//! What WeCom's handover answers mean (wecom-api.md section 8a): each customer's or
//! group's errcode, and each customer's `transfer_result` status, as an outcome with
//! a reason an admin reads (Chinese). Errcodes stay here; the server sees outcomes.

/// 离职继承 (the member left) or 在职继承 (the member is still here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverKind {
    Resigned,
    Onjob,
}

impl HandoverKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resigned => "resigned",
            Self::Onjob => "onjob",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "resigned" => Some(Self::Resigned),
            "onjob" => Some(Self::Onjob),
            _ => None,
        }
    }
}

/// How a customer's or group's handover request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted: a customer now waits (up to 24 h), a group has its new owner.
    Accepted,
    /// Nothing to do: the new owner has the group already (90504, 90508).
    AlreadyDone(String),
    /// Refused for a reason that stays (the item fails, with the reason).
    Refused(String),
    /// The new owner must confirm in the WeCom client (90503).
    NeedsConfirmation(String),
    /// A handover of this customer is under way already (40100, 40129): after a
    /// resumed job, most likely ours.
    InProgress(String),
}

/// The outcome of a customer's errcode in `transfer_customer` (D-94081, D-92125; the
/// wording of each code from WeCom's global errcode list).
pub fn customer_outcome(errcode: i64) -> Outcome {
    let why = match errcode {
        0 => return Outcome::Accepted,
        40096 => "企业微信里没有这个客户（external_userid 无效）",
        40097 => "原跟进成员尚未离职：请改用在职继承",
        40098 => "接替成员尚未实名认证",
        40099 => "接替成员的客户数已达上限",
        40100 => return Outcome::InProgress("这个客户已在转接流程中".into()),
        40129 => return Outcome::InProgress("这个客户正在转接中".into()),
        40128 => "这个客户 90 天内已转接过两次，暂时不能再转接",
        40130 => "原跟进成员与接替成员是同一人",
        40131 => "原跟进成员不是这个客户的跟进人",
        other => return Outcome::Refused(format!("企业微信拒绝了转接（错误码 {other}）")),
    };
    Outcome::Refused(why.into())
}

/// The outcome of a group's errcode in `groupchat/transfer` or `onjob_transfer`
/// (D-92127, D-95703).
pub fn group_outcome(errcode: i64) -> Outcome {
    let why = match errcode {
        0 => return Outcome::Accepted,
        90503 => {
            return Outcome::NeedsConfirmation(
                "群里微信用户已满 99 人：需新群主在企业微信客户端里确认接收".into(),
            )
        }
        90504 => return Outcome::AlreadyDone("群主已是接替成员".into()),
        90508 => return Outcome::AlreadyDone("这个群已被继承过".into()),
        90500 => "群主尚未离职：请改用在职继承",
        90501 => "这不是客户群",
        90502 => "群主已离职：请改用离职继承",
        90507 => "这个群的离职继承正在处理中",
        40128 => "这个群 90 天内已转过两次，暂时不能再转",
        other => return Outcome::Refused(format!("企业微信拒绝了转群（错误码 {other}）")),
    };
    Outcome::Refused(why.into())
}

/// Where a customer's handover is, from `transfer_result`'s `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Takeover {
    /// 1: the takeover member has the customer.
    Done,
    /// 2: waiting until `takeover_time`.
    Waiting,
    /// 3, 4 (and 5, no such handover): it did not happen, and why.
    Failed(String),
}

pub fn takeover(status: i32) -> Takeover {
    match status {
        1 => Takeover::Done,
        2 => Takeover::Waiting,
        3 => Takeover::Failed("客户拒绝了转接".into()),
        4 => Takeover::Failed("接替成员的客户数已达上限".into()),
        5 => Takeover::Failed("企业微信没有这次转接的记录".into()),
        other => Takeover::Failed(format!("企业微信答复了未知的状态 {other}")),
    }
}

/// The reason a `transfer_fail` callback gives (`FailReason`), in Chinese.
pub fn transfer_fail_reason(fail_reason: &str) -> String {
    match fail_reason {
        "customer_refused" => "客户拒绝了转接".into(),
        "customer_limit_exceed" => "接替成员的客户数已达上限".into(),
        other => format!("转接失败（{other}）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_a_reason_and_unknown_ones_say_their_number() {
        assert_eq!(customer_outcome(0), Outcome::Accepted);
        for code in [40096, 40097, 40098, 40099, 40128, 40130, 40131] {
            let Outcome::Refused(why) = customer_outcome(code) else {
                panic!("{code}")
            };
            assert!(!why.contains("错误码"), "{code}: {why}");
        }
        assert!(matches!(customer_outcome(41999), Outcome::Refused(w) if w.contains("41999")));
        assert!(matches!(
            group_outcome(90503),
            Outcome::NeedsConfirmation(_)
        ));
        assert!(matches!(group_outcome(90508), Outcome::AlreadyDone(_)));
        assert_eq!(takeover(1), Takeover::Done);
        assert!(matches!(takeover(3), Takeover::Failed(w) if w.contains("拒绝")));
    }
}
