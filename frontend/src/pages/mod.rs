//! One module per page.

mod admin;
mod debug;
mod home;
mod not_found;
mod order;
mod orders;
mod pool;
mod sidebar;

pub use admin::AdminPage;
pub use debug::Debug;
pub use home::Home;
pub use not_found::NotFound;
pub use order::OrderPage;
pub use orders::Orders;
pub use pool::PoolPage;
pub use sidebar::Sidebar;

/// The Chinese name of a `getContext` entry.
pub fn entry_label(entry: &str) -> &'static str {
    match entry {
        "normal" => "工作台或其他入口",
        "contact_profile" => "客户详情页",
        "single_chat_tools" => "单聊工具栏",
        "group_chat_tools" => "群聊工具栏",
        "chat_attachment" => "聊天附件栏",
        "single_kf_tools" => "微信客服工具栏",
        _ => "未知入口",
    }
}
