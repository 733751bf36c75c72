//! One order's page on its own (`/orders/{id}`): its customer group and the button that
//! makes it, the staff group and the join QR code, small enough for a phone.

fn main() {
    // No panic hook (as in the sidebar): its message formatting is weight every open
    // would download.
    leptos::mount::mount_to_body(desk_frontend::OrderPageApp);
}
