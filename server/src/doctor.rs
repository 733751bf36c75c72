//! `wecom-desk doctor`: checks a deployment against WeCom (or the simulator) and
//! explains every failure with the admin-console step that fixes it.

use std::fmt::Write as _;

use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::h5::H5Source;
use crate::jssdk::AllowedOrigins;
use crate::wecom::crypto::decode_aes_key;
use crate::wecom::{WeComClient, WeComError};

/// One line of the checklist.
#[derive(Debug, Clone)]
pub struct Check {
    pub title: &'static str,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Pass(String),
    Fail {
        why: String,
        fix: String,
    },
    /// Not run because an earlier check it depends on failed.
    Skipped(&'static str),
}

#[derive(Debug, Clone)]
pub struct Report {
    /// What is being checked: the binary's version, where its H5 comes from.
    pub about: Vec<String>,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn passed(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|c| !matches!(c.outcome, Outcome::Pass(_)))
    }

    /// The checklist as printed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.about {
            let _ = writeln!(out, "{line}");
        }
        if !self.about.is_empty() {
            out.push('\n');
        }
        for c in &self.checks {
            let _ = match &c.outcome {
                Outcome::Pass(detail) => writeln!(out, "[通过 ok  ] {} — {detail}", c.title),
                Outcome::Fail { why, fix } => writeln!(
                    out,
                    "[失败 FAIL] {}\n             原因 why: {why}\n             处理 fix: {fix}",
                    c.title
                ),
                Outcome::Skipped(because) => {
                    writeln!(out, "[跳过 skip] {} — {because}", c.title)
                }
            };
        }
        let failed = self
            .checks
            .iter()
            .filter(|c| !matches!(c.outcome, Outcome::Pass(_)))
            .count();
        if failed == 0 {
            let _ = writeln!(
                out,
                "\n全部通过。/ All {} checks passed.",
                self.checks.len()
            );
        } else {
            let _ = writeln!(
                out,
                "\n{failed} 项未通过（共 {} 项）。/ {failed} of {} checks did not pass.",
                self.checks.len(),
                self.checks.len()
            );
        }
        out
    }
}

fn wecom_fail(err: &WeComError) -> Outcome {
    let detail = err.admin_detail();
    Outcome::Fail {
        why: detail.why,
        fix: detail.fix,
    }
}

const NEEDS_TOKEN: &str = "需要先取得 access_token / needs the access token";

/// Runs every check against the configured WeCom.
pub async fn run(settings: &Settings) -> Report {
    let about = about(settings);
    let mut checks = Vec::new();
    let client = match WeComClient::new(&settings.wecom) {
        Ok(c) => c,
        Err(e) => {
            checks.push(Check {
                title: "HTTP 客户端 / HTTP client",
                outcome: wecom_fail(&e),
            });
            return Report { about, checks };
        }
    };

    let token = client.access_token().await;
    let token_ok = token.is_ok();
    checks.push(Check {
        title: "应用凭证 access_token（corp_id + agent_secret）/ access token",
        outcome: match token {
            Ok(_) => Outcome::Pass(format!(
                "企业 {}，应用 {}",
                settings.wecom.corp_id, settings.wecom.agent_id
            )),
            Err(e) => wecom_fail(&e),
        },
    });

    let skipped = |title| Check {
        title,
        outcome: Outcome::Skipped(NEEDS_TOKEN),
    };
    if token_ok {
        checks.push(Check {
            title: "企业 jsapi_ticket（wx.config）/ corp JS-SDK ticket",
            outcome: match client.corp_jsapi_ticket().await {
                Ok(_) => Outcome::Pass("已获取 / fetched".into()),
                Err(e) => wecom_fail(&e),
            },
        });
        checks.push(Check {
            title: "应用 jsapi_ticket（wx.agentConfig）/ app JS-SDK ticket",
            outcome: match client.agent_jsapi_ticket().await {
                Ok(_) => Outcome::Pass("已获取 / fetched".into()),
                Err(e) => wecom_fail(&e),
            },
        });
    } else {
        checks.push(skipped(
            "企业 jsapi_ticket（wx.config）/ corp JS-SDK ticket",
        ));
        checks.push(skipped(
            "应用 jsapi_ticket（wx.agentConfig）/ app JS-SDK ticket",
        ));
    }

    let admin = settings.server.admin_userids.first();
    match (admin, token_ok) {
        (None, _) => {
            let fail = Outcome::Fail {
                why: "未配置管理员成员 / no admin member configured".into(),
                fix: "在 server.admin_userids 中填入至少一个管理员的 UserID".into(),
            };
            checks.push(Check {
                title: "管理员成员 user/get / admin member",
                outcome: fail,
            });
            checks.push(Check {
                title: "客户联系接口权限 / customer-contact API permission",
                outcome: Outcome::Skipped("需要一个管理员成员 / needs an admin member"),
            });
        }
        (Some(_), false) => {
            checks.push(skipped("管理员成员 user/get / admin member"));
            checks.push(skipped(
                "客户联系接口权限 / customer-contact API permission",
            ));
        }
        (Some(admin), true) => {
            checks.push(Check {
                title: "管理员成员 user/get / admin member",
                outcome: match client.member(admin).await {
                    Ok(m) => Outcome::Pass(format!("{}（{}）", m.name, m.userid)),
                    Err(e) => wecom_fail(&e),
                },
            });
            checks.push(Check {
                title: "客户联系接口权限 / customer-contact API permission",
                outcome: match client.customer_ids(admin).await {
                    Ok(ids) => {
                        Outcome::Pass(format!("{admin} 有 {} 位客户 / customers", ids.len()))
                    }
                    Err(e) => wecom_fail(&e),
                },
            });
        }
    }

    checks.push(Check {
        title: "回调 Token 与 EncodingAESKey / callback keys",
        outcome: callback_keys(settings),
    });
    checks.push(Check {
        title: "public_url 在 allowed_origins 中 / public_url is an allowed origin",
        outcome: public_url_allowed(settings),
    });
    Report { about, checks }
}

/// The binary's version and the H5 `serve` would send with these settings.
fn about(settings: &Settings) -> Vec<String> {
    let h5 = H5Source::for_static_dir(settings.server.static_dir.as_deref());
    let built = match h5.is_built() {
        true => "",
        false => "（未构建：没有 index.html / not built: no index.html）",
    };
    vec![
        format!("wecom-desk {}", crate::version::LONG),
        format!("H5: {h5}{built}"),
    ]
}

fn callback_keys(settings: &Settings) -> Outcome {
    let fix = "管理后台 → 应用管理 → 本应用 → 接收消息 → 设置API接收：把 Token 与 EncodingAESKey 填入 callback.token / callback.encoding_aes_key".to_string();
    match (
        &settings.callback.token,
        &settings.callback.encoding_aes_key,
    ) {
        (Some(token), Some(key)) => {
            if token.expose_secret().is_empty() {
                return Outcome::Fail {
                    why: "callback.token 为空 / is empty".into(),
                    fix,
                };
            }
            match decode_aes_key(key.expose_secret()) {
                Ok(_) => Outcome::Pass("格式正确 / well-formed".into()),
                Err(e) => Outcome::Fail {
                    why: format!("EncodingAESKey 无效：{e}"),
                    fix,
                },
            }
        }
        _ => Outcome::Fail {
            why: "未配置回调 / callback not configured".into(),
            fix,
        },
    }
}

fn public_url_allowed(settings: &Settings) -> Outcome {
    let fix =
        "把 server.public_url 的来源（协议+域名+端口）加入 server.allowed_origins".to_string();
    let url = match url::Url::parse(&settings.server.public_url) {
        Ok(u) => u,
        Err(e) => {
            return Outcome::Fail {
                why: format!("public_url 无效 / invalid: {e}"),
                fix: "server.public_url 填写 H5 的完整地址，如 https://desk.example.com".into(),
            }
        }
    };
    let origin = url.origin().ascii_serialization();
    match AllowedOrigins::parse(&settings.server.allowed_origins) {
        Err(why) => Outcome::Fail { why, fix },
        Ok(allowed) if allowed.allows(url.as_str()) => Outcome::Pass(origin),
        Ok(_) => Outcome::Fail {
            why: format!(
                "{origin} 不在 allowed_origins 中，页面签名会被拒绝 / pages there cannot be signed"
            ),
            fix,
        },
    }
}
