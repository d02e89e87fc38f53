//! Discord webhooks: one embed (title, summary, facts as inline fields, colour by severity, time), no mentions.
//! A 429's body says how many seconds to wait (`retry_after`, fractional).

use super::{ACK, Outgoing, cut, mark};
use beacon_core::channel::{ChatSpec, masked_url};
use beacon_core::notify::{Message, Severity, rfc3339};
use serde_json::{Value, json};
use std::time::Duration;

pub fn color(s: Severity) -> u32 {
    match s {
        Severity::Down => 0xD7_3A_49,
        Severity::Up => 0x2E_A4_4F,
        Severity::Info => 0x03_66_D6,
        Severity::Warning => 0xDB_AB_09,
    }
}

pub fn request(spec: &ChatSpec, msg: &Message) -> Outgoing {
    let fields: Vec<Value> = msg
        .facts
        .iter()
        .take(25)
        .map(|(k, v)| json!({"name": cut(k, 256), "value": cut(v, 1024), "inline": v.len() < 40}))
        .collect();
    let mut embed = json!({
        "title": cut(&format!("{} {}", mark(msg.severity), msg.title), 256),
        "description": cut(&msg.summary, 4096),
        "color": color(msg.severity),
        "fields": fields,
        "timestamp": rfc3339(msg.at),
        "footer": {"text": "Beacon"},
    });
    if let Some(link) = &msg.link {
        embed["url"] = json!(link);
    }
    if let (Some(ack), Some(fields)) = (&msg.ack_link, embed["fields"].as_array_mut()) {
        fields.push(json!({"name": ACK, "value": format!("[{ACK}]({ack})"), "inline": false}));
    }
    Outgoing::post(
        spec.url.as_str().to_owned(),
        json!({"username": "Beacon", "embeds": [embed], "allowed_mentions": {"parse": []}}),
    )
    .logged_as(masked_url(&spec.url))
}

pub fn retry_hint(v: &Value) -> Option<Duration> {
    Duration::try_from_secs_f64(v.get("retry_after")?.as_f64()?).ok()
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn embed_bodies_and_the_retry_hint() {
        let spec = ChatSpec {
            url: beacon_core::endpoint::CheckUrl::parse("https://discord.com/api/webhooks/1/x")
                .expect("url"),
        };
        insta::assert_snapshot!(
            "discord_down",
            serde_json::to_string_pretty(&request(&spec, &sample::down()).body).expect("json")
        );
        insta::assert_snapshot!(
            "discord_up",
            serde_json::to_string_pretty(&request(&spec, &sample::up()).body).expect("json")
        );
        assert_eq!(
            retry_hint(
                &json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": false})
            ),
            Some(Duration::from_millis(1500))
        );
    }
}
