//! Where the page runs and what a JS-SDK failure means: pure logic, tested natively.

/// Where the H5 is running, from the user agent (as the SDK itself decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Inside the WeCom client (`wxwork/` in the user agent): the JS-SDK works.
    WeCom,
    /// Inside WeChat: only the corp config works, not the app identity.
    WeChat,
    /// A plain browser: no bridge, the SDK would wait forever.
    Browser,
}

impl Environment {
    pub fn from_user_agent(ua: &str) -> Self {
        let ua = ua.to_ascii_lowercase();
        if ua.contains("wxwork/") {
            Environment::WeCom
        } else if ua.contains("micromessenger") {
            Environment::WeChat
        } else {
            Environment::Browser
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Environment::WeCom => "企业微信",
            Environment::WeChat => "微信",
            Environment::Browser => "普通浏览器",
        }
    }
}

/// A failed JS-SDK call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WwError {
    /// The member tapped cancel.
    Cancelled,
    /// The app or member may not use this API (agentConfig failed, or no 客户联系 rights).
    PermissionDenied(String),
    /// Not inside WeCom: there is no client to ask.
    NotInWeCom,
    /// WeCom refused the page's signature (40093, 42012) or its domain (80001).
    SignatureRejected(String),
    /// The page was not opened beside a customer chat or group ("without context of
    /// external contact"): only the chat toolbars can ask for the chat or send into it.
    NoChat,
    /// The client did not answer in time.
    Timeout,
    /// Anything else, with WeCom's `errMsg`.
    Other(String),
}

/// `openExistedChatWithMsg` needs this client version or newer.
pub const OPEN_EXISTED_CHAT_SINCE: [u32; 3] = [3, 1, 8];

/// Why `open_existed_chat_with_msg` did not open the chat. Its own type, not a
/// `WwError` variant: the sidebar never opens chats this way and must not carry
/// the sentence (its first load is on a byte budget).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenChatError {
    /// The client is older than 3.1.8 and the chat is not a customer group (which
    /// `openEnterpriseChat` could open instead): only updating WeCom helps.
    ClientTooOld,
    /// The JS-SDK call failed.
    Sdk(WwError),
}

impl From<WwError> for OpenChatError {
    fn from(e: WwError) -> Self {
        OpenChatError::Sdk(e)
    }
}

impl OpenChatError {
    /// What the member should read: what happened and what to do next.
    pub fn message(&self) -> String {
        match self {
            OpenChatError::ClientTooOld => {
                "你的企业微信版本太旧，无法直接打开这个群，请把企业微信升级到 3.1.8 或更新版本。"
                    .into()
            }
            OpenChatError::Sdk(e) => e.message(),
        }
    }
}

/// The WeCom client's version from the user agent (`wxwork/3.1.8`), or `None`
/// outside WeCom or when it cannot be read.
pub fn client_version(ua: &str) -> Option<[u32; 3]> {
    let ua = ua.to_ascii_lowercase();
    let (_, rest) = ua.split_once("wxwork/")?;
    let mut parts = rest
        .split(|c: char| c != '.' && !c.is_ascii_digit())
        .next()?
        .split('.');
    let mut version = [0; 3];
    for (slot, part) in version.iter_mut().zip(&mut parts) {
        *slot = part.parse().ok()?;
    }
    Some(version)
}

/// WeCom's server errcode inside a failure's text (`…?e=40093`, `… e=80001`), as
/// its digits. The result's `errCode` is the client's own code (2, -1 …), not this.
pub fn server_errcode(text: &str) -> Option<&str> {
    // Bytes, no regex and no string slicing that could panic: small in the wasm.
    let b = text.as_bytes();
    let mut before = b' ';
    for (i, pair) in b.windows(2).enumerate() {
        // `?e=`, ` e=`, `&e=`, not `type=` or `code=`.
        if pair == b"e=" && !before.is_ascii_alphanumeric() {
            let digits = b[i + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                return text.get(i + 2..i + 2 + digits);
            }
        }
        before = pair[0];
    }
    None
}

impl WwError {
    /// Reads a failed result: its `errMsg` (`agentConfig:fail …`) and `err_info`.
    /// WeCom's errcode is read from `e=NNNNN` in either (40093, 42012 and 80001 are
    /// the page's signature or domain); without one, the words say what happened.
    pub fn from_failure(err_msg: &str, err_info: &str) -> Self {
        let mut lower = err_msg.to_string() + " " + err_info;
        lower.make_ascii_lowercase();
        // The API's name before `:` holds none of the words looked for (and not
        // splitting it off keeps the sidebar's wasm smaller).
        if lower.contains(":cancel") || lower.contains(" cancel") {
            return WwError::Cancelled;
        }
        let code = server_errcode(&lower);
        // What the member reads: `errMsg`, with WeCom's errcode when only `err_info`
        // had it (its URL would not fit a phone's width).
        let mut text = err_msg.to_string();
        if let (Some(c), None) = (code, server_errcode(err_msg)) {
            text = text + " e=" + c;
        }
        let signature = match code {
            // Signature (40093), ticket type (42012), untrusted domain (80001).
            Some(code) => matches!(code, "40093" | "42012" | "80001"),
            None => {
                lower.contains("signature")
                    || lower.contains("invalid ticket")
                    || lower.contains("domain")
                    || lower.contains("80001")
            }
        };
        if signature {
            return WwError::SignatureRejected(text);
        }
        if lower.contains("permission") || lower.contains("no privilege") {
            return WwError::PermissionDenied(text);
        }
        if lower.contains("without context") {
            return WwError::NoChat;
        }
        WwError::Other(text)
    }

    /// What the member should read: what happened and what to do next.
    pub fn message(&self) -> String {
        match self {
            WwError::Cancelled => "已取消。".into(),
            WwError::PermissionDenied(m) => format!(
                "没有权限调用企业微信接口（{m}）。请管理员确认本应用已加入「客户联系 → 可调用接口的应用」，且你有客户联系权限。"
            ),
            WwError::NotInWeCom => "请在企业微信中打开本页面。".into(),
            WwError::SignatureRejected(m) => format!(
                "企业微信拒绝了本页面的签名（{m}）。请刷新重试；若仍失败，请管理员运行 wecom-desk doctor 并检查可信域名与 allowed_origins。"
            ),
            WwError::NoChat => {
                "请从与客户的单聊或客户群的「聊天工具栏」打开本页面，才能读取或发送到这个聊天。"
                    .into()
            }
            WwError::Timeout => "企业微信没有响应，请重试。".into(),
            WwError::Other(m) => format!("企业微信返回错误：{m}。请重试。"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_comes_from_the_user_agent() {
        let wecom =
            "Mozilla/5.0 (iPhone) AppleWebKit MicroMessenger/6.3.22 wxwork/4.1.30 Language/zh";
        assert_eq!(Environment::from_user_agent(wecom), Environment::WeCom);
        let wechat = "Mozilla/5.0 (Linux; Android 13) MicroMessenger/8.0.40 NetType/WIFI";
        assert_eq!(Environment::from_user_agent(wechat), Environment::WeChat);
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36";
        assert_eq!(Environment::from_user_agent(chrome), Environment::Browser);
    }

    #[test]
    fn the_client_version_comes_from_the_user_agent() {
        let ua =
            |v: &str| format!("Mozilla/5.0 (iPhone) MicroMessenger/6.3.22 wxwork/{v} Language/zh");
        assert_eq!(client_version(&ua("4.1.30")), Some([4, 1, 30]));
        assert_eq!(client_version(&ua("3.1.8")), Some([3, 1, 8]));
        assert_eq!(client_version(&ua("3.0.24.1234")), Some([3, 0, 24]));
        assert_eq!(client_version(&ua("3")), Some([3, 0, 0]));
        assert_eq!(client_version("Mozilla/5.0 wxWork/3.1.7"), Some([3, 1, 7]));
        assert_eq!(
            client_version("Mozilla/5.0 (Linux) MicroMessenger/8.0.40"),
            None
        );
        assert_eq!(client_version("Mozilla/5.0 wxwork/ Language/zh"), None);
        assert!(client_version(&ua("3.1.7")) < Some([3, 1, 8]));
        assert!(client_version(&ua("3.1.10")) > Some([3, 1, 8]));
    }

    #[test]
    fn the_server_errcode_is_read_from_the_text() {
        // A real signature failure: the code only inside err_info.
        let info =
            "invalid signature, more info at https://open.work.weixin.qq.com/devtool/query?e=40093";
        assert_eq!(server_errcode(info), Some("40093"));
        assert_eq!(
            server_errcode("agentConfig:fail invalid signature e=40093"),
            Some("40093")
        );
        assert_eq!(server_errcode("e=80001"), Some("80001"));
        assert_eq!(
            server_errcode("invalid url domain&e=80001 more"),
            Some("80001")
        );
        assert_eq!(server_errcode("签名e=42012"), Some("42012"));
        // The first `e=` with digits, not part of a longer name.
        assert_eq!(server_errcode("type=1 code=2 e=x ?e=42012"), Some("42012"));
        assert_eq!(server_errcode("agentConfig:fail"), None);
        assert_eq!(server_errcode("e="), None);
        assert_eq!(server_errcode(""), None);
        assert_eq!(server_errcode("mode=40093"), None);
    }

    #[test]
    fn failures_as_a_real_client_reports_them() {
        // {errMsg: "agentConfig:fail", errCode: 2, err_info: "invalid signature … ?e=40093"}
        let info = |code: &str| {
            format!("more info at https://open.work.weixin.qq.com/devtool/query?e={code}")
        };
        assert_eq!(
            WwError::from_failure("agentConfig:fail", &info("40093")),
            WwError::SignatureRejected("agentConfig:fail e=40093".into())
        );
        for code in ["42012", "80001"] {
            assert_eq!(
                WwError::from_failure("agentConfig:fail", &info(code)),
                WwError::SignatureRejected(format!("agentConfig:fail e={code}"))
            );
        }
        // The code in errMsg too (as the simulator answers): errMsg as it is.
        assert_eq!(
            WwError::from_failure(
                "agentConfig:fail invalid signature e=40093",
                "invalid signature, more info at https://open.work.weixin.qq.com/devtool/query?e=40093"
            ),
            WwError::SignatureRejected("agentConfig:fail invalid signature e=40093".into())
        );
        // Another code is not the page's signature, whatever the words.
        assert_eq!(
            WwError::from_failure("agentConfig:fail", &info("40056")),
            WwError::Other("agentConfig:fail e=40056".into())
        );
        assert_eq!(
            WwError::from_failure(
                "openEnterpriseChat:fail no privilege: nobody is logged in e=60011",
                ""
            ),
            WwError::PermissionDenied(
                "openEnterpriseChat:fail no privilege: nobody is logged in e=60011".into()
            )
        );
    }

    #[test]
    fn without_a_code_the_words_say_what_happened() {
        assert_eq!(
            WwError::from_failure("openEnterpriseChat:cancel", ""),
            WwError::Cancelled
        );
        for (msg, info) in [
            ("config:fail,invalid signature", ""),
            ("agentConfig:fail", "invalid signature"),
            ("agentConfig:fail invalid ticket type", ""),
            ("agentConfig:fail url domain not trusted", ""),
            ("agentConfig:fail 80001", ""),
        ] {
            assert!(
                matches!(
                    WwError::from_failure(msg, info),
                    WwError::SignatureRejected(_)
                ),
                "{msg} {info}"
            );
        }
        assert!(matches!(
            WwError::from_failure("getCurExternalContact:fail no permission", ""),
            WwError::PermissionDenied(_)
        ));
        assert!(matches!(
            WwError::from_failure("getCurExternalContact:permission denied", ""),
            WwError::PermissionDenied(_)
        ));
        assert_eq!(
            WwError::from_failure(
                "getCurExternalContact:fail without context of external contact",
                ""
            ),
            WwError::NoChat
        );
        assert_eq!(
            WwError::from_failure(
                "sendChatMessage:fail without context of external contact",
                ""
            ),
            WwError::NoChat
        );
    }

    #[test]
    fn every_error_tells_the_member_what_to_do() {
        for e in [
            WwError::PermissionDenied("x".into()),
            WwError::NotInWeCom,
            WwError::SignatureRejected("x".into()),
            WwError::NoChat,
            WwError::Timeout,
            WwError::Other("x".into()),
        ] {
            let m = e.message();
            assert!(m.contains('请'), "{m}");
        }
        let m = OpenChatError::ClientTooOld.message();
        assert!(m.contains("升级到 3.1.8"), "{m}");
        assert_eq!(
            OpenChatError::from(WwError::Timeout).message(),
            WwError::Timeout.message()
        );
    }
}
