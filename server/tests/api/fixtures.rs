//! What the tests push and read back, stated once: an order as the business system
//! sends it, with the demo corp's people by default.

use serde_json::{json, Value};

/// An order's fields: 城南店 · 新房装修, designed by zhangwei, managed by lina, for
/// 王女士 at 13900000000, unless a test says otherwise.
pub struct OrderFields<'a> {
    pub title: &'a str,
    pub designer: &'a str,
    pub pm: &'a str,
    pub customer: &'a str,
    pub phone: &'a str,
}

impl Default for OrderFields<'_> {
    fn default() -> Self {
        Self {
            title: "城南店 · 新房装修",
            designer: "zhangwei",
            pm: "lina",
            customer: "王女士",
            phone: "13900000000",
        }
    }
}

impl OrderFields<'_> {
    /// The body of `PUT /api/v1/orders/{id}`.
    pub fn json(&self) -> Value {
        json!({
            "title": self.title,
            "designerUserId": self.designer,
            "projectManagerUserId": self.pm,
            "customerName": self.customer,
            "customerPhone": self.phone,
        })
    }
}
