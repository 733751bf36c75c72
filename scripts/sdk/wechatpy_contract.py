"""An independent SDK against `wecom-desk simulate`: wechatpy's enterprise client,
sending WeCom's documented bodies for the calls the product makes, must get WeCom's
documented answers. Run by scripts/sdk-contract.sh; prints `N passed, N failed`."""
import json
import sys

from wechatpy.enterprise.client import WeChatClient
from wechatpy.exceptions import WeChatClientException

BASE = sys.argv[1].rstrip("/")  # http://127.0.0.1:PORT
CORP, SECRET, AGENT = "wwdemo0000000001", "demo-agent-secret-0001", 1000002


class Client(WeChatClient):
    """wechatpy with its WeCom host replaced by the simulator's (its token URL is
    written out in full, so that one is overridden too)."""

    API_BASE_URL = BASE + "/cgi-bin/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=BASE + "/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


c = Client(CORP, SECRET)
results = []


def check(name, fn, expect):
    try:
        answer = fn()
        problem = expect(answer)
    except WeChatClientException as e:
        problem = f"errcode {e.errcode}: {e.errmsg}"
    except Exception as e:  # the SDK could not read the answer at all
        problem = f"{type(e).__name__}: {e}"
    results.append((name, problem))
    print(("ok   " if not problem else "FAIL ") + name + ("" if not problem else " - " + str(problem)))


def has(*keys):
    def expect(answer):
        missing = [k for k in keys if k not in answer]
        return f"missing {missing} in {json.dumps(answer, ensure_ascii=False)[:300]}" if missing else None
    return expect


check("user/get", lambda: c.user.get("zhangwei"), has("userid", "name", "status"))
check("externalcontact/list", lambda: c.external_contact.list("zhangwei"), has("external_userid"))
check("externalcontact/get", lambda: c.external_contact.get("wmDemo0000"), has("external_contact", "follow_user"))
check(
    "externalcontact/batch/get_by_user",
    lambda: c.post("externalcontact/batch/get_by_user", data={"userid_list": ["zhangwei"], "cursor": "", "limit": 100}),
    has("external_contact_list", "next_cursor"),
)
check(
    "externalcontact/remark (documented body)",
    lambda: c.post("externalcontact/remark", data={"userid": "zhangwei", "external_userid": "wmDemo0000",
                                                    "remark": "王女士", "remark_mobiles": ["13800000001"]}),
    lambda a: None if a.get("errcode") == 0 else a,
)
check(
    "externalcontact/groupchat/list",
    lambda: c.post("externalcontact/groupchat/list", data={"status_filter": 0, "owner_filter": {"userid_list": ["wangqiang"]}, "cursor": "", "limit": 100}),
    has("group_chat_list"),
)
check("externalcontact/groupchat/get", lambda: c.external_contact_group_chat.get("wrPool0000"), has("group_chat"))
# WeCom's own add_join_way sample: mark_source is the bool `true` (D-92229).
way = {}
check(
    "externalcontact/groupchat/add_join_way (official sample body)",
    lambda: way.setdefault("a", c.post("externalcontact/groupchat/add_join_way", data={
        "scene": 2, "remark": "aa_remark", "auto_create_room": 0, "room_base_name": "销售客服群",
        "room_base_id": 10, "chat_id_list": ["wrPool0001"], "state": "klsdup3kj3s1", "mark_source": True})),
    has("config_id"),
)


def mark_source_is_bool(answer):
    jw = answer.get("join_way", {})
    return None if isinstance(jw.get("mark_source"), bool) and jw.get("qr_code") else f"join_way: {jw}"


check(
    "externalcontact/groupchat/get_join_way",
    lambda: c.post("externalcontact/groupchat/get_join_way", data={"config_id": way["a"]["config_id"]}),
    mark_source_is_bool,
)
check(
    "externalcontact/groupchat/del_join_way",
    lambda: c.post("externalcontact/groupchat/del_join_way", data={"config_id": way["a"]["config_id"]}),
    lambda a: None if a.get("errcode") == 0 else a,
)
chat = {}
check(
    "appchat/create",
    lambda: chat.setdefault("a", c.appchat.create(name="DD-1 内部群", owner="zhangwei", user_list=["zhangwei", "lina"])),
    has("chatid"),
)
chat["id"] = chat.get("a", {}).get("chatid", "")
check("appchat/get", lambda: c.appchat.get(chat["id"]), lambda a: None if a.get("chatid") == chat["id"] else a)
check("appchat/send", lambda: c.appchat.send_text(chat["id"], "订单 DD-1 的内部群已建好"), lambda a: None if a.get("errcode") == 0 else a)
check(
    "message/send text (partly invalid recipients)",
    lambda: c.message.send_text(AGENT, ["zhangwei", "nobody"], "你好"),
    lambda a: None if a.get("invaliduser") == "nobody" else a,
)
check(
    "message/send textcard",
    lambda: c.message.send_text_card(AGENT, ["zhangwei"], "新订单", "DD-1", "https://desk.example.com/orders/DD-1"),
    lambda a: None if a.get("errcode") == 0 else a,
)
check("get_jsapi_ticket", lambda: c.jsapi.get_jsapi_ticket(), lambda a: None if a else "no ticket")
check("ticket/get?type=agent_config", lambda: c.jsapi.get_agent_jsapi_ticket(), lambda a: None if a else "no ticket")

failed = sum(1 for _, p in results if p)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
