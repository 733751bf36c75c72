//! What each WeCom errcode means, in Chinese and English, and the admin-console or
//! operational step that fixes it (wecom-api.md section 10, and the few more the
//! simulator answers with): for `doctor`, the admin's checks and the logs.

/// What an errcode means and how to fix it (for `doctor` and error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    pub zh: &'static str,
    pub en: &'static str,
    /// The admin-console or operational step that fixes it.
    pub fix: &'static str,
}

const fn ex(zh: &'static str, en: &'static str, fix: &'static str) -> Explanation {
    Explanation { zh, en, fix }
}

/// The explanation of an errcode, for the codes in wecom-api.md section 10 and the
/// few more the simulator answers with.
pub fn explain(errcode: i64) -> Option<Explanation> {
    Some(match errcode {
        -1 => ex(
            "企业微信系统繁忙",
            "WeCom is busy",
            "稍后重试 / retry later",
        ),
        40001 => ex(
            "应用 Secret 不正确",
            "the app secret is wrong",
            "管理后台 → 应用管理 → 本应用 → Secret，重新复制到 wecom.agent_secret",
        ),
        40003 => ex(
            "成员 UserID 无效",
            "invalid member UserID",
            "检查成员账号是否存在",
        ),
        40004 => ex(
            "不合法的媒体文件类型（上传的内容不是该类型的文件，例如图片不是 JPG/PNG）",
            "invalid media file type (the content is not of that type, e.g. an image that is not JPG/PNG)",
            "图片只能是 JPG 或 PNG，语音 AMR，视频 MP4（上传临时素材 D-96484）",
        ),
        40005 => ex(
            "不合法的文件类型（type 参数，或文件扩展名与 type 不符）",
            "invalid type (the type parameter, or a file extension that does not fit it)",
            "type 只能是 image、voice、video、file，文件名的扩展名须与之相符",
        ),
        40006 => ex(
            "不合法的文件大小",
            "invalid file size",
            "文件须大于 5 字节；语音 ≤2MB，视频 ≤10MB，普通文件 ≤20MB",
        ),
        40007 => ex(
            "不合法的 media_id（不存在或已过期）",
            "invalid media_id (unknown or expired)",
            "临时素材只在上传后 3 天内有效：重新上传，用新的 media_id",
        ),
        40009 => ex(
            "图片大小不合法",
            "invalid image size",
            "图片须大于 5 字节、不超过 10MB",
        ),
        40013 => ex(
            "企业 ID（CorpID）不正确",
            "the corp id is wrong",
            "管理后台 → 我的企业 → 企业信息 → 企业ID，填入 wecom.corp_id",
        ),
        40014 => ex(
            "access_token 无效",
            "invalid access_token",
            "会自动重新获取 / refetched automatically",
        ),
        40029 => ex(
            "登录 code 无效或已使用",
            "the OAuth code is invalid or was used already",
            "重新打开页面登录 / open the page again to log in",
        ),
        40050 => ex("群聊不存在", "the chat does not exist", "检查 chat_id"),
        40056 => ex(
            "应用 AgentId 不正确",
            "the agent id is wrong",
            "管理后台 → 应用管理 → 本应用 → AgentId，填入 wecom.agent_id",
        ),
        40058 => ex(
            "参数不合法",
            "invalid parameter",
            "检查请求参数（数量、长度上限）",
        ),
        40093 => ex(
            "JS-SDK 签名不正确",
            "the JS-SDK signature is wrong",
            "签名用的 URL 须与页面地址完全一致（协议、域名、端口、路径、查询串）",
        ),
        40096 => ex(
            "客户 external_userid 无效",
            "invalid external_userid",
            "检查客户 ID",
        ),
        41001 => ex(
            "缺少 access_token",
            "access_token missing",
            "程序错误，请报告 / a bug, please report",
        ),
        41005 => ex(
            "缺少多媒体文件数据",
            "media file data missing",
            "上传须为 multipart/form-data，文件放在名为 media 的部分，带 filename",
        ),
        41044 => ex(
            "「联系我」的 config_id 无效",
            "invalid contact way config_id",
            "该「联系我」已被删除；重新生成即可 / it was deleted; make a new one",
        ),
        41051 => ex(
            "客户已开始聊天或已收到欢迎语（欢迎语只能发一次，且须在添加后 20 秒内）",
            "the customer started chatting or was welcomed already (one welcome, within 20 s)",
            "无需处理；若常见，检查是否有其他应用或管理后台也配置了欢迎语 / nothing to do; if frequent, check other apps' or the console's welcome settings",
        ),
        41096 => ex(
            "另一个应用正在发送这位客户的欢迎语",
            "another app is sending this customer's welcome",
            "会重试一次；调整各应用的可见范围以免冲突 / retried once; narrow the other apps' ranges",
        ),
        42001 => ex(
            "access_token 已过期",
            "access_token expired",
            "会自动重新获取 / refetched automatically",
        ),
        42012 => ex(
            "ticket 类型不对（agentConfig 须用应用 ticket）",
            "wrong ticket kind (agentConfig needs the app ticket)",
            "agentConfig 使用 ticket/get?type=agent_config 的 ticket",
        ),
        43001 => ex(
            "须用 GET 请求",
            "GET required",
            "程序错误，请报告 / a bug, please report",
        ),
        43002 => ex(
            "须用 POST 请求",
            "POST required",
            "程序错误，请报告 / a bug, please report",
        ),
        44001 => ex(
            "多媒体文件为空",
            "empty media file",
            "上传的文件没有内容：检查文件本身",
        ),
        45009 => ex(
            "调用频率超过限制（企业微信会拒绝到这个时间窗口结束）",
            "rate limited by WeCom (refused until the window ends)",
            "一分钟后再试；检查是否有程序频繁调用同一接口 / retry after a minute; look for a program calling the API too often",
        ),
        45033 => ex(
            "并发调用过多",
            "too many concurrent calls",
            "稍后重试 / retry later",
        ),
        48002 => ex(
            "本应用没有调用客户联系接口的权限",
            "the app may not call the customer-contact APIs",
            "管理后台 → 客户与上下游 → 客户联系 → API → 可调用接口的应用，加入本应用",
        ),
        60011 => ex(
            "没有权限（成员不在应用可见范围内）",
            "no privilege (member outside the app's visible range)",
            "管理后台 → 应用管理 → 本应用 → 可见范围，加入该成员或部门",
        ),
        60020 => ex(
            "服务器 IP 不在企业可信 IP 中",
            "the server IP is not a trusted IP",
            "管理后台 → 应用管理 → 本应用 → 企业可信IP，加入服务器出口 IP",
        ),
        60111 => ex("成员不存在", "no such member", "检查 UserID 是否写对"),
        80001 => ex(
            "页面域名不是应用的可信域名",
            "the page domain is not the app's trusted domain",
            "管理后台 → 应用管理 → 本应用 → 网页授权及JS-SDK → 可信域名",
        ),
        84061 => ex(
            "成员与该客户没有关系",
            "no customer relationship",
            "该成员没有这个客户",
        ),
        86001 => ex("群聊 ID 不合法", "invalid chat id", "检查 chatid"),
        86003 => ex("群聊不存在", "chat not found", "检查 chatid"),
        86006 => ex(
            "群成员数不合法（2~2000）",
            "invalid member count (2..2000)",
            "检查成员列表",
        ),
        86007 => ex("群成员不合法", "invalid chat member", "检查成员列表"),
        86215 => ex(
            "群聊 ID 已存在",
            "an app chat with this chat id exists",
            "用已有的群聊，或换一个 chatid",
        ),
        86008 => ex(
            "该群不是本应用创建的",
            "the chat was not created by this app",
            "只能操作本应用 appchat/create 创建的群",
        ),
        90501 => ex(
            "不是客户群",
            "not a customer group",
            "检查 chat_id 是否为客户群",
        ),
        93000 => ex(
            "群机器人无效或已被移除",
            "the group robot is invalid or was removed",
            "在群里重新添加机器人，把新的 Webhook 地址填入 robot.webhook_urls",
        ),
        _ => return None,
    })
}
