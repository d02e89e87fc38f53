//! Pushover's `POST /1/messages.json`: application token and user key in the body (hidden in the log), HTML
//! message, priority by severity (high for down), the monitor's page as the supplementary URL.

use super::{ACK, OPEN, Outgoing, cut, html, join};
use beacon_core::channel::PushoverSpec;
use beacon_core::notify::{Message, Severity};
use serde_json::json;

pub fn request(spec: &PushoverSpec, msg: &Message) -> Outgoing {
    let priority = match msg.severity {
        Severity::Down => 1,
        Severity::Up => 0,
        Severity::Info => -1,
        Severity::Warning => 0,
    };
    let mut text = html(&msg.summary);
    for (k, v) in &msg.facts {
        text.push_str(&format!("\n<b>{}:</b> {}", html(k), html(v)));
    }
    if let Some(ack) = &msg.ack_link {
        text.push_str(&format!("\n<a href=\"{}\">{ACK}</a>", html(ack)));
    }
    let mut body = json!({
        "title": cut(&msg.title, 250),
        "message": cut(&text, 1024),
        "html": 1,
        "priority": priority,
        "timestamp": msg.at / 1000,
    });
    if let Some(link) = &msg.link {
        body["url"] = json!(link);
        body["url_title"] = json!(OPEN);
    }
    let mut logged = body.clone();
    body["token"] = json!(spec.token);
    body["user"] = json!(spec.user_key);
    logged["token"] = json!("[redacted]");
    logged["user"] = json!("[redacted]");
    let mut out = Outgoing::post(join(spec.base.as_str(), "/1/messages.json"), body);
    out.logged_body = logged;
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn message_bodies_hide_the_keys_in_the_log() {
        let spec = PushoverSpec {
            base: beacon_core::endpoint::CheckUrl::parse("https://api.pushover.net").expect("url"),
            user_key: "uQiRzpo4DXghDmr9QzzfQu27cmVRsG".into(),
            token: "azGDORePK8gMaC0QOYAMyEEuzJnyUi".into(),
        };
        let r = request(&spec, &sample::down());
        assert_eq!(r.url, "https://api.pushover.net/1/messages.json");
        assert!(!r.logged_body.to_string().contains("azGDORe"));
        insta::assert_snapshot!(
            "pushover_down",
            serde_json::to_string_pretty(&r.body).expect("json")
        );
    }
}
