//! The store visit and the numbers: 「联系我」 contact ways (D-92572), the new
//! customer's welcome (D-92137), 群聊数据统计 (D-96359).

use super::client::WeComClient;
use super::types::*;
use super::WeComError;

#[derive(serde::Serialize)]
struct ConfigIdBody<'a> {
    config_id: &'a str,
}

impl WeComClient {
    /// `externalcontact/add_contact_way` → `{config_id, qr_code}`.
    pub async fn add_contact_way(
        &self,
        settings: &ContactWaySettings,
    ) -> Result<ContactWayCreated, WeComError> {
        self.post("externalcontact/add_contact_way", settings).await
    }

    /// `externalcontact/get_contact_way`.
    pub async fn contact_way(&self, config_id: &str) -> Result<ContactWay, WeComError> {
        self.post::<ContactWayDetail>(
            "externalcontact/get_contact_way",
            &ConfigIdBody { config_id },
        )
        .await
        .map(|d| d.contact_way)
    }

    /// `externalcontact/del_contact_way`.
    pub async fn delete_contact_way(&self, config_id: &str) -> Result<(), WeComError> {
        self.post::<Empty>(
            "externalcontact/del_contact_way",
            &ConfigIdBody { config_id },
        )
        .await
        .map(drop)
    }

    /// `externalcontact/send_welcome_msg`: only within 20 s of the add event, once per
    /// code (`WelcomeTaken` 41051, `WelcomeBusy` 41096).
    pub async fn send_welcome(&self, message: &WelcomeMessage) -> Result<(), WeComError> {
        self.post::<Empty>("externalcontact/send_welcome_msg", message)
            .await
            .map(drop)
    }

    /// `externalcontact/groupchat/statistic` (per owner): one page.
    pub async fn group_statistic(
        &self,
        query: &GroupStatisticQuery,
    ) -> Result<GroupStatisticPage, WeComError> {
        self.post("externalcontact/groupchat/statistic", query)
            .await
    }
}
