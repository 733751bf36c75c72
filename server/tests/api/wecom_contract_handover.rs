//! The handover endpoints (wecom-api.md 8a) against their documented shapes: the
//! client reads each documented answer and sends only documented fields; the
//! simulator answers every documented field.

use desk_server::wecom::{HandoverKind, Outcome, Takeover};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::wecom_contract::{check_request, doc, missing, StandIn};

#[tokio::test]
async fn the_client_reads_the_documented_handover_answers_and_sends_documented_requests() {
    let w = StandIn::start().await;
    let c = w.client();
    let answer = |endpoint: &str| {
        let d = doc(endpoint);
        w.answer(endpoint, &d.response(None));
        d
    };

    let d = answer("externalcontact/get_follow_user_list");
    let members = c.follow_users().await.expect("get_follow_user_list");
    assert_eq!(json!(members), d.response(None)["follow_user"]);
    check_request(&w, &d, None);

    let d = answer("externalcontact/get_unassigned_list");
    let waiting = c.unassigned().await.expect("get_unassigned_list");
    let documented = d.response(None);
    assert_eq!(
        waiting[0].handover_userid,
        documented["info"][0]["handover_userid"]
            .as_str()
            .expect("id")
    );
    assert_eq!(
        json!(waiting[0].dimission_time),
        documented["info"][0]["dimission_time"]
    );
    check_request(&w, &d, None);

    for (kind, endpoint) in [
        (
            HandoverKind::Resigned,
            "externalcontact/resigned/transfer_customer",
        ),
        (HandoverKind::Onjob, "externalcontact/transfer_customer"),
    ] {
        let d = answer(endpoint);
        let ids: Vec<String> = d.request(None)["external_userid"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect();
        let out = c
            .transfer_customers(kind, "zhangsan", "lisi", &ids, Some("您好，您的服务已升级"))
            .await
            .expect(endpoint);
        for o in &out {
            let code = d.response(None)["customer"]
                .as_array()
                .expect("customer")
                .iter()
                .find(|c| c["external_userid"] == o.id.as_str())
                .map(|c| c["errcode"].as_i64().unwrap_or(-1))
                .expect("documented");
            assert_eq!(
                o.outcome == Outcome::Accepted,
                code == 0,
                "{endpoint}: {o:?}"
            );
        }
        check_request(&w, &d, None);
    }

    for (kind, endpoint) in [
        (
            HandoverKind::Resigned,
            "externalcontact/resigned/transfer_result",
        ),
        (HandoverKind::Onjob, "externalcontact/transfer_result"),
    ] {
        let d = answer(endpoint);
        let states = c
            .transfer_results(kind, "zhangsan", "lisi")
            .await
            .expect(endpoint);
        assert_eq!(states[0].takeover, Takeover::Done, "{endpoint}: status 1");
        assert_eq!(
            states[1].takeover,
            Takeover::Waiting,
            "{endpoint}: status 2"
        );
        assert!(
            matches!(states[2].takeover, Takeover::Failed(_)),
            "{endpoint}: status 3"
        );
        assert_eq!(
            json!(states[0].at),
            d.response(None)["customer"][0]["takeover_time"]
        );
        check_request(&w, &d, None);
    }

    for (kind, endpoint) in [
        (HandoverKind::Resigned, "externalcontact/groupchat/transfer"),
        (
            HandoverKind::Onjob,
            "externalcontact/groupchat/onjob_transfer",
        ),
    ] {
        let d = answer(endpoint);
        let failed = d.response(None)["failed_chat_list"][0]["chat_id"]
            .as_str()
            .expect("chat")
            .to_string();
        let out = c
            .transfer_groups(kind, &["wrMoved".to_string(), failed.clone()], "zhangsan")
            .await
            .expect(endpoint);
        assert_eq!(
            out[0].outcome,
            Outcome::Accepted,
            "not listed as failed: moved"
        );
        assert!(
            matches!(out[1].outcome, Outcome::Refused(_)),
            "{endpoint}: {:?}",
            out[1]
        );
        check_request(&w, &d, None);
    }
}

#[tokio::test]
async fn the_simulator_answers_every_documented_handover_field() {
    let sim = spawn_simulator().await;
    let r = sim
        .http
        .post(format!("{}/sim/members/lina/leave", sim.url))
        .json(&json!({}))
        .send()
        .await
        .expect("leave");
    assert!(r.status().is_success());
    let token: Value = sim
        .http
        .get(format!(
            "{}/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}",
            sim.url
        ))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = token["access_token"].as_str().expect("token").to_string();
    let post = |path: &'static str, body: Value| {
        let (sim, token) = (&sim, token.clone());
        async move {
            let v: Value = sim
                .http
                .post(format!("{}/cgi-bin/{path}?access_token={token}", sim.url))
                .json(&body)
                .send()
                .await
                .expect("answer")
                .json()
                .await
                .expect("json");
            (path, v)
        }
    };
    let follow: Value = sim
        .http
        .get(format!(
            "{}/cgi-bin/externalcontact/get_follow_user_list?access_token={token}",
            sim.url
        ))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let listed = follow["follow_user"].as_array().expect("follow_user");
    assert!(listed.iter().any(|u| u == "zhangwei"), "{follow}");
    assert!(
        !listed.iter().any(|u| u == "zhoumin"),
        "no customer contact: {follow}"
    );
    assert!(!listed.iter().any(|u| u == "lina"), "she left: {follow}");
    // 李娜 left with 王女士 (wmDemo0000) waiting; 张伟 takes over. On-job: 张伟 to 陈静.
    let mut answers = vec![
        post("externalcontact/get_unassigned_list", json!({"cursor": "", "page_size": 100})).await,
        post(
            "externalcontact/resigned/transfer_customer",
            json!({"handover_userid": "lina", "takeover_userid": "zhangwei", "external_userid": ["wmDemo0000"]}),
        )
        .await,
        post(
            "externalcontact/resigned/transfer_result",
            json!({"handover_userid": "lina", "takeover_userid": "zhangwei", "cursor": ""}),
        )
        .await,
        post(
            "externalcontact/transfer_customer",
            json!({"handover_userid": "zhangwei", "takeover_userid": "chenjing", "external_userid": ["wmDemo0001"], "transfer_success_msg": "您好"}),
        )
        .await,
        post(
            "externalcontact/transfer_result",
            json!({"handover_userid": "zhangwei", "takeover_userid": "chenjing", "cursor": ""}),
        )
        .await,
        post(
            "externalcontact/groupchat/transfer",
            json!({"chat_id_list": ["wrDemoWang0001", "wrNoSuchChat"], "new_owner": "chenjing"}),
        )
        .await,
        post(
            "externalcontact/groupchat/onjob_transfer",
            json!({"chat_id_list": ["wrDemoWang0001", "wrNoSuchChat"], "new_owner": "chenjing"}),
        )
        .await,
    ];
    answers.push(("externalcontact/get_follow_user_list", follow.clone()));
    let mut wrong = Vec::new();
    for (endpoint, ours) in &answers {
        assert_eq!(ours["errcode"], 0, "{endpoint}: {ours}");
        missing(
            ours,
            &doc(endpoint).response(None),
            endpoint,
            &[],
            &mut wrong,
        );
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let waiting = &answers[0].1["info"];
    assert!(
        waiting
            .as_array()
            .is_some_and(|w| w.iter().any(|c| c["handover_userid"] == "lina")),
        "{waiting}"
    );
    assert_eq!(
        answers[1].1["customer"][0]["errcode"], 0,
        "{}",
        answers[1].1
    );
    assert_eq!(answers[2].1["customer"][0]["status"], 2, "waiting 24 h");
}
