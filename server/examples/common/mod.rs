//! What the HTTP drivers (match_over_http, join_way_over_http) share: reading a redirect's headers and cookies, and logging a
//! member in through the simulator's OAuth page, as a browser would.

use std::collections::HashMap;

pub fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// `name=value` of the Set-Cookie for `name`.
pub fn cookie(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_string()
}

/// Logs `userid` in at the server `base` through the simulator `sim_url`; the
/// `desk_session=…` cookie.
pub async fn login(
    http: &reqwest::Client,
    base: &str,
    sim_url: &str,
    userid: &str,
) -> anyhow::Result<String> {
    let start = http.get(format!("{base}/auth/login?next=/")).send().await?;
    let state_cookie = cookie(&start, "desk_oauth");
    let authorize = url::Url::parse(&header(&start, "location"))?;
    let q: HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    let approve = http
        .get(format!("{sim_url}/connect/oauth2/approve"))
        .query(&[
            ("userid", userid),
            ("redirect_uri", &q["redirect_uri"]),
            ("state", &q["state"]),
        ])
        .send()
        .await?;
    let back = url::Url::parse(&header(&approve, "location"))?;
    let done = http
        .get(format!(
            "{base}/auth/callback?{}",
            back.query().unwrap_or_default()
        ))
        .header("cookie", state_cookie)
        .send()
        .await?;
    let session = cookie(&done, "desk_session");
    anyhow::ensure!(
        !session.is_empty(),
        "login as {userid} failed: {}",
        done.status()
    );
    Ok(session)
}
