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
    /// The client did not answer in time.
    Timeout,
    /// Anything else, with WeCom's `errMsg`.
    Other(String),
}

impl WwError {
    /// Reads `errMsg` (e.g. `agentConfig:invalid signature e=40093`) and `errCode`.
    pub fn from_err_msg(err_msg: &str, err_code: Option<i64>) -> Self {
        let keyword = err_msg
            .split_once(':')
            .map_or(err_msg, |(_, k)| k)
            .to_ascii_lowercase();
        if keyword == "cancel" || keyword.ends_with(" cancel") {
            return WwError::Cancelled;
        }
        let code = err_code.unwrap_or_default();
        if keyword.contains("invalid signature")
            || keyword.contains("invalid ticket")
            || keyword.contains("domain")
            || matches!(code, 40093 | 42012 | 80001)
        {
            return WwError::SignatureRejected(err_msg.to_string());
        }
        if keyword.contains("permission") || keyword.contains("no privilege") {
            return WwError::PermissionDenied(err_msg.to_string());
        }
        WwError::Other(err_msg.to_string())
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
    fn err_msgs_map_to_what_the_member_can_do() {
        assert_eq!(
            WwError::from_err_msg("openEnterpriseChat:cancel", None),
            WwError::Cancelled
        );
        assert!(matches!(
            WwError::from_err_msg("agentConfig:invalid signature e=40093", Some(40093)),
            WwError::SignatureRejected(_)
        ));
        assert!(matches!(
            WwError::from_err_msg("config:fail,invalid signature", None),
            WwError::SignatureRejected(_)
        ));
        assert!(matches!(
            WwError::from_err_msg("agentConfig:fail", Some(42012)),
            WwError::SignatureRejected(_)
        ));
        assert!(matches!(
            WwError::from_err_msg("getCurExternalContact:fail no permission", None),
            WwError::PermissionDenied(_)
        ));
        assert!(matches!(
            WwError::from_err_msg("getCurExternalContact:permission denied", None),
            WwError::PermissionDenied(_)
        ));
        assert_eq!(
            WwError::from_err_msg(
                "getCurExternalContact:fail without context of external contact",
                None
            ),
            WwError::Other("getCurExternalContact:fail without context of external contact".into())
        );
    }

    #[test]
    fn every_error_tells_the_member_what_to_do() {
        for e in [
            WwError::PermissionDenied("x".into()),
            WwError::NotInWeCom,
            WwError::SignatureRejected("x".into()),
            WwError::Timeout,
            WwError::Other("x".into()),
        ] {
            let m = e.message();
            assert!(m.contains('请'), "{m}");
        }
    }
}
