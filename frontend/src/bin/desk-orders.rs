//! 我的订单 on its own (`/orders`): the member's orders and their batch work, without
//! the admin console, so it stays small for a phone. Each order's page is
//! `desk-order`; the other pages are `desk-frontend`.

fn main() {
    // No panic hook (as in the sidebar): its message formatting is weight every open
    // would download.
    leptos::mount::mount_to_body(desk_frontend::OrderListApp);
}
