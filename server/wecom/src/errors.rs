//! WeCom errcodes: what kind of failure each is for the code that made the call, what
//! a member reads about it, and what an admin needs to fix it.

pub use super::explain::{explain, Explanation};

/// What a member reads when WeCom (or the work waiting on it) was too slow.
pub const WECOM_TIMEOUT_MESSAGE: &str =
    "企业微信响应太慢，这次没有完成，请稍后再试。/ WeCom is answering too slowly; please try again shortly.";

/// How long work that met WeCom's rate limit (45009) waits before trying again: the
/// shortest of WeCom's windows is a minute, and it refuses the caller until it ends.
pub const RATE_LIMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The caller's address WeCom names in a 60020 errmsg (`…, from ip: 1.2.3.4, …`).
fn caller_ip(errmsg: &str) -> Option<std::net::IpAddr> {
    let (_, rest) = errmsg.split_once("from ip:")?;
    rest.trim_start()
        .split(|c: char| c == ',' || c.is_whitespace())
        .next()?
        .parse()
        .ok()
}

/// A failed WeCom call, as handlers see it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WeComError {
    /// WeCom answered with a non-zero errcode.
    #[error("WeCom errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    /// No answer: connection refused, reset, DNS, or our timeout.
    #[error("WeCom unreachable: {0}")]
    Transport(String),
    /// An HTTP status other than 200.
    #[error("WeCom answered HTTP {0}")]
    Status(u16),
    /// An answer we could not read.
    #[error("unexpected WeCom answer: {0}")]
    Decode(String),
    /// The request that waited on WeCom ran out of its deadline (retries included).
    #[error("WeCom did not answer within the request's deadline")]
    Timeout,
}

/// What a failed WeCom call means to the code that made it, so that no handler has to
/// know an errcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeComErrorKind {
    /// No member with that UserID (60111, 40003).
    NoSuchMember,
    /// The chat is not a customer group (90501).
    NotCustomerGroup,
    /// No chat with that id (40050, 86003). `groupchat/get` answers 40050 for a
    /// customer group that was dismissed as well.
    NoSuchChat,
    /// A parameter WeCom would not take (40058).
    InvalidParameter,
    /// No customer with that external_userid (40096).
    NoSuchCustomer,
    /// The member has no customer relationship (84061).
    NoCustomers,
    /// The OAuth code is invalid, expired or used (40029).
    InvalidCode,
    /// The member is not in the app's visible range (60011).
    NotInAppRange,
    /// The app may not call the customer APIs: not under 客户联系 → 可调用接口的应用
    /// (48002).
    CustomerApiForbidden,
    /// The app may not do this for another reason: trusted IP, a chat of another app
    /// (60020, 86008).
    NoPermission,
    /// WeCom does not take the app's token, even after a fresh one (40014, 42001).
    TokenRejected,
    /// The corp id, the app's secret, its agent id or a robot is configured wrong
    /// (40013, 40001, 40056, 93000): no retry or refetch helps; an admin must.
    Misconfigured,
    /// Busy: worth a quick, bounded retry (-1 system busy, 45033 too many concurrent
    /// calls).
    Busy,
    /// Over a per-minute, hour or day limit (45009): WeCom refuses the caller for the
    /// rest of that window, and a retry within seconds only extends it. Fail a
    /// member's request at once; reschedule a worker's job no sooner than 60 s.
    RateLimited,
    /// An app chat with that chat id exists already (86215).
    ChatIdTaken,
    /// An app chat's member list WeCom will not take: too few, or unknown ids
    /// (86006, 86007).
    BadChatMembers,
    /// A file WeCom will not keep as temporary media, or a media id it does not know
    /// (D-96484: 40004 media type, 40005 type or extension, 40006 file size, 40009
    /// image size, 41005 no file, 44001 empty file; 40007 invalid media_id).
    MediaRefused,
    /// No 「联系我」 contact way with that config id (41044): deleted, or never made.
    NoSuchContactWay,
    /// The new customer's welcome went out already, from another app or because the
    /// customer started chatting first (41051): never retried.
    WelcomeTaken,
    /// Another app is sending the new customer's welcome right now (41096): one more
    /// try may go through.
    WelcomeBusy,
    /// The request's deadline passed while waiting on WeCom.
    Timeout,
    /// No answer, or an HTTP 5xx.
    Unreachable,
    /// Anything else: an errcode with no kind of its own, an answer we could not read.
    Other,
}

impl WeComErrorKind {
    /// The kind of an errcode WeCom answered with.
    pub fn of_errcode(errcode: i64) -> Self {
        match errcode {
            60111 | 40003 => Self::NoSuchMember,
            90501 => Self::NotCustomerGroup,
            40050 | 86003 => Self::NoSuchChat,
            40058 => Self::InvalidParameter,
            40096 => Self::NoSuchCustomer,
            84061 => Self::NoCustomers,
            40029 => Self::InvalidCode,
            60011 => Self::NotInAppRange,
            48002 => Self::CustomerApiForbidden,
            60020 | 86008 => Self::NoPermission,
            40014 | 42001 => Self::TokenRejected,
            40013 | 40001 | 40056 | 93000 => Self::Misconfigured,
            -1 | 45033 => Self::Busy,
            45009 => Self::RateLimited,
            86215 => Self::ChatIdTaken,
            86006 | 86007 => Self::BadChatMembers,
            40004 | 40005 | 40006 | 40007 | 40009 | 41005 | 44001 => Self::MediaRefused,
            41044 => Self::NoSuchContactWay,
            41051 => Self::WelcomeTaken,
            41096 => Self::WelcomeBusy,
            _ => Self::Other,
        }
    }
}

/// What an admin needs to fix a failed call (never shown to members): logged where
/// the failure becomes an answer, and printed by `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminDetail {
    /// WeCom's errcode, when it answered with one.
    pub errcode: Option<i64>,
    /// What went wrong, Chinese then English.
    pub why: String,
    /// The admin-console or operational step that fixes it.
    pub fix: String,
}

impl std::fmt::Display for AdminDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} 处理 fix: {}", self.why, self.fix)
    }
}

const CHECK_NETWORK: &str =
    "检查 wecom.api_base 与服务器网络 / check wecom.api_base and the network";

impl WeComError {
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WeComError::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    pub fn explanation(&self) -> Option<Explanation> {
        self.errcode().and_then(explain)
    }

    /// What this failure means to the caller.
    pub fn kind(&self) -> WeComErrorKind {
        match self {
            WeComError::Api { errcode, .. } => WeComErrorKind::of_errcode(*errcode),
            WeComError::Transport(_) => WeComErrorKind::Unreachable,
            WeComError::Status(s) if *s >= 500 => WeComErrorKind::Unreachable,
            WeComError::Status(_) | WeComError::Decode(_) => WeComErrorKind::Other,
            WeComError::Timeout => WeComErrorKind::Timeout,
        }
    }

    /// "This token is no good": drop it, fetch another, retry once.
    pub fn is_token_invalid(errcode: i64) -> bool {
        WeComErrorKind::of_errcode(errcode) == WeComErrorKind::TokenRejected
    }

    /// WeCom's rate limit for this kind of call (45009): never retried at once; again
    /// once the window has passed (`RATE_LIMIT_WAIT` at the least).
    pub fn is_rate_limited(&self) -> bool {
        self.kind() == WeComErrorKind::RateLimited
    }

    /// Worth another quick try after a short pause (not a rate limit: see
    /// `is_rate_limited`).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind(),
            WeComErrorKind::Busy | WeComErrorKind::Unreachable
        )
    }

    /// What a member reads: a short sentence (Chinese, then English) saying what to do
    /// or whom to ask, with no errcode. The errcode and its fix are in `admin_detail`.
    pub fn member_message(&self) -> String {
        use WeComErrorKind as K;
        let sentence = match (self, self.kind()) {
            (WeComError::Transport(_), _) => {
                "无法连接企业微信，请稍后重试；若一直如此请联系管理员检查服务器网络。/ WeCom could not be reached; please retry, or ask an admin if it persists."
            }
            (WeComError::Status(_), _) => {
                "企业微信暂时不可用，请稍后重试。/ WeCom is unavailable right now; please try again shortly."
            }
            (WeComError::Decode(_), _) => {
                "企业微信返回了无法识别的内容，请稍后重试。/ WeCom's answer could not be read."
            }
            (WeComError::Timeout, _) => WECOM_TIMEOUT_MESSAGE,
            (_, K::NoSuchMember) => {
                "企业微信里没有这个成员，请确认成员账号是否写对。/ WeCom has no such member; check the member's account."
            }
            (_, K::NotCustomerGroup) => {
                "这个群不是客户群，请选择客户群。/ The chat is not a customer group."
            }
            (_, K::NoSuchChat) => "企业微信里没有这个群。/ WeCom has no such group.",
            (_, K::InvalidParameter) => {
                "企业微信不接受这次请求的内容，请检查后重试；若一直如此请联系管理员。/ WeCom refused the request's content; check it, or ask an admin."
            }
            (_, K::NoSuchCustomer) => {
                "企业微信里没有这个客户，请确认客户仍在通讯录中。/ WeCom has no such customer."
            }
            (_, K::NoCustomers) => {
                "这位成员与该客户没有好友关系，请先添加客户。/ The member has no relationship with this customer."
            }
            (_, K::InvalidCode) => {
                "登录凭证已失效，请重新打开页面登录。/ The login code expired; open the page again to log in."
            }
            (_, K::NotInAppRange) => {
                "你不在本应用的可见范围内：请联系企业微信管理员在「应用管理 → 本应用 → 可见范围」里添加你。/ You are not in the app's visible range; ask an admin to add you."
            }
            (_, K::CustomerApiForbidden) => {
                "本应用还不能使用客户联系：请联系管理员在「客户与上下游 → 客户联系 → 可调用接口的应用」里加入本应用，并给你开通客户联系权限。/ The app may not use customer contact yet; ask an admin."
            }
            (_, K::NoPermission) => {
                "本应用在企业微信里没有这项权限，请联系管理员开通。/ The app lacks this permission in WeCom; ask an admin to grant it."
            }
            (_, K::TokenRejected) => {
                "企业微信不接受本应用的凭证，请联系管理员检查应用配置。/ WeCom rejected the app's credentials; ask an admin to check the app's configuration."
            }
            (_, K::Misconfigured) => {
                "企业微信应用的配置有误，请联系管理员。/ The WeCom app is configured wrong; ask an admin."
            }
            (_, K::Busy) => "企业微信繁忙，请稍后重试。/ WeCom is busy; please try again shortly.",
            (_, K::RateLimited) => {
                "企业微信接口调用太频繁，请一分钟后再试。/ WeCom's rate limit was reached; try again in a minute."
            }
            (_, K::ChatIdTaken) => "这个群聊已经存在。/ That chat exists already.",
            (_, K::BadChatMembers) => {
                "群成员不符合企业微信的要求（至少两人，且都须是本企业成员）。/ WeCom refused the chat's members."
            }
            (_, K::MediaRefused) => {
                "企业微信没有接受这张图片或文件（格式、大小不符合要求，或素材已过期），请稍后重试；若一直如此请联系管理员。/ WeCom refused the image or file (format, size, or an expired media id)."
            }
            (_, K::NoSuchContactWay) => {
                "企业微信里没有这个扫码加我二维码（可能已被删除），请重新生成。/ WeCom has no such contact way; make it again."
            }
            (_, K::WelcomeTaken) => {
                "客户已经开始聊天或已收到其他应用的欢迎语，这次欢迎语没有发送。/ The customer already chatted or got another app's welcome."
            }
            (_, K::WelcomeBusy) => {
                "另一个应用正在给这位客户发欢迎语，请稍后重试。/ Another app is sending this customer's welcome."
            }
            (_, K::Timeout | K::Unreachable | K::Other) => {
                "企业微信没能完成这次操作，请稍后重试；若一直如此请联系管理员。/ WeCom could not complete this; please retry, or ask an admin if it persists."
            }
        };
        sentence.to_string()
    }

    /// What an admin needs: the errcode, its explanation (Chinese and English) and the
    /// step that fixes it.
    pub fn admin_detail(&self) -> AdminDetail {
        let (why, fix) = match self {
            WeComError::Api { errcode, errmsg } => match explain(*errcode) {
                Some(e) => (
                    format!(
                        "企业微信返回错误 {errcode}：{}。/ WeCom error {errcode}: {} ({errmsg}).",
                        e.zh, e.en
                    ),
                    match (*errcode, caller_ip(errmsg)) {
                        // WeCom names the address it saw: the one to add.
                        (60020, Some(ip)) => format!(
                            "管理后台 → 应用管理 → 本应用 → 企业可信IP，加入 {ip}（企业微信看到的本服务器出口 IP）/ add {ip} to the app's trusted IPs"
                        ),
                        _ => e.fix.to_string(),
                    },
                ),
                None => (
                    format!(
                        "企业微信返回错误 {errcode}（{errmsg}）。/ WeCom error {errcode}: {errmsg}."
                    ),
                    "查阅企业微信全局错误码 / see WeCom's errcode reference".to_string(),
                ),
            },
            WeComError::Transport(detail) => (
                format!("无法连接企业微信：{detail}。/ WeCom could not be reached: {detail}."),
                CHECK_NETWORK.to_string(),
            ),
            WeComError::Status(s) => (
                format!("企业微信返回 HTTP {s}。/ WeCom answered HTTP {s}."),
                CHECK_NETWORK.to_string(),
            ),
            WeComError::Decode(detail) => (
                format!("企业微信的回答无法识别：{detail}。/ WeCom's answer could not be read: {detail}."),
                "检查 wecom.api_base 是否指向企业微信 / check that wecom.api_base points at WeCom"
                    .to_string(),
            ),
            WeComError::Timeout => (
                "企业微信在请求期限内没有回答。/ WeCom did not answer within the request's deadline."
                    .to_string(),
                "检查服务器到企业微信的网络，或调大 wecom.request_deadline_secs / check the network or raise wecom.request_deadline_secs"
                    .to_string(),
            ),
        };
        AdminDetail {
            errcode: self.errcode(),
            why,
            fix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_spec_lists_has_an_explanation() {
        for code in [
            -1, 40001, 40013, 40014, 40029, 40056, 40093, 41001, 42001, 42012, 45009, 45033, 48002,
            60011, 60020, 80001, 84061, 86003, 86008, 90501, 93000,
            // media/upload (D-96484) and sendChatMessage's media id
            40004, 40005, 40006, 40007, 40009, 41005, 44001,
        ] {
            let e = explain(code).unwrap_or_else(|| panic!("{code} unexplained"));
            assert!(!e.zh.is_empty() && !e.en.is_empty() && !e.fix.is_empty());
        }
    }

    fn api(errcode: i64) -> WeComError {
        WeComError::Api {
            errcode,
            errmsg: "api forbidden".into(),
        }
    }

    #[test]
    fn the_admin_detail_carries_the_code_both_languages_and_the_fix() {
        let detail = api(48002).admin_detail();
        assert_eq!(detail.errcode, Some(48002));
        assert!(detail.why.contains("48002"));
        assert!(detail.why.contains("customer-contact"));
        assert!(detail.fix.contains("客户联系"));
        assert!(api(48002).admin_detail().to_string().contains("48002"));
    }

    #[test]
    fn a_member_reads_what_to_do_and_never_an_errcode() {
        let errors = [
            api(48002),
            api(40001),
            api(60111),
            api(45009),
            api(40009),
            api(12345),
            WeComError::Transport("connection refused".into()),
            WeComError::Status(503),
            WeComError::Decode("eof".into()),
            WeComError::Timeout,
        ];
        for err in errors {
            let msg = err.member_message();
            assert!(!msg.chars().any(|c| c.is_ascii_digit()), "{err:?}: {msg}");
            assert!(msg.contains("。"), "a sentence: {msg}");
        }
        assert!(api(48002).member_message().contains("管理员"));
        assert!(WeComError::Transport(String::new())
            .member_message()
            .contains("无法连接企业微信"));
    }

    #[test]
    fn errcodes_fall_into_the_kinds_handlers_act_on() {
        use WeComErrorKind as K;
        for (code, kind) in [
            (60111, K::NoSuchMember),
            (40003, K::NoSuchMember),
            (90501, K::NotCustomerGroup),
            (40050, K::NoSuchChat),
            (86003, K::NoSuchChat),
            (40058, K::InvalidParameter),
            (40096, K::NoSuchCustomer),
            (84061, K::NoCustomers),
            (40029, K::InvalidCode),
            (48002, K::CustomerApiForbidden),
            (60011, K::NotInAppRange),
            (60020, K::NoPermission),
            (40014, K::TokenRejected),
            (42001, K::TokenRejected),
            (40001, K::Misconfigured),
            (-1, K::Busy),
            (45009, K::RateLimited),
            (45033, K::Busy),
            (40004, K::MediaRefused),
            (40005, K::MediaRefused),
            (40006, K::MediaRefused),
            (40007, K::MediaRefused),
            (40009, K::MediaRefused),
            (41005, K::MediaRefused),
            (44001, K::MediaRefused),
            (99999, K::Other),
        ] {
            assert_eq!(api(code).kind(), kind, "{code}");
        }
        assert_eq!(WeComError::Timeout.kind(), K::Timeout);
        assert_eq!(WeComError::Transport(String::new()).kind(), K::Unreachable);
        assert_eq!(WeComError::Status(502).kind(), K::Unreachable);
        assert_eq!(WeComError::Status(404).kind(), K::Other);
        assert!(WeComError::is_token_invalid(42001));
        assert!(!WeComError::is_token_invalid(40029));
        // A wrong secret: a new token will not help.
        assert!(!WeComError::is_token_invalid(40001));
    }

    #[test]
    fn only_busy_and_outages_are_retried_at_once_and_rate_limits_never() {
        let api = |errcode| WeComError::Api {
            errcode,
            errmsg: String::new(),
        };
        assert!(api(-1).is_transient());
        assert!(api(45033).is_transient());
        assert!(!api(45009).is_transient());
        assert!(api(45009).is_rate_limited());
        assert!(!api(45033).is_rate_limited());
        assert!(!api(40001).is_transient());
        assert!(!api(60011).is_transient());
        assert!(WeComError::Status(502).is_transient());
        assert!(!WeComError::Status(404).is_transient());
    }
}
