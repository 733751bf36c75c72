//! What the server does by itself: `[automation]` when an order arrives, `[handover]`
//! when members leave or orders change hands.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct AutomationSettings {
    /// Make the order's "add me" code (「联系我」) as soon as the order arrives, so it is
    /// there to print; otherwise it is made when a member asks for it.
    pub contact_way_on_new_order: bool,
    /// Tell a new order's designer and project manager by app message, with a link to
    /// the order's page (建群 is one tap there).
    pub announce_new_orders: bool,
}

impl Default for AutomationSettings {
    fn default() -> Self {
        Self {
            contact_way_on_new_order: false,
            announce_new_orders: true,
        }
    }
}

/// Handing a member's customers, groups and orders to another (`/api/admin/handovers`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct HandoverSettings {
    /// How often WeCom is asked where waiting customers are (`transfer_result`), in
    /// seconds; also whenever an admin opens the handover.
    pub result_poll_secs: u64,
    /// How often members who left are read from WeCom (`get_unassigned_list`).
    pub leavers_read_secs: u64,
    /// When an order changes designer, its customer group goes to the new designer
    /// (`groupchat/onjob_transfer`) if the old one owned it.
    pub move_groups_with_orders: bool,
}

impl Default for HandoverSettings {
    fn default() -> Self {
        Self {
            result_poll_secs: 3600,
            leavers_read_secs: 86_400,
            move_groups_with_orders: true,
        }
    }
}
