//! The chat sidebar on its own (`/sidebar`): one page, no router, so it is small
//! enough to open fast in a phone's webview. The other pages are `desk-frontend`.

fn main() {
    // No panic hook here (the app has one): its message formatting is weight every
    // open of the sidebar would download.
    leptos::mount::mount_to_body(desk_frontend::SidebarApp);
}
