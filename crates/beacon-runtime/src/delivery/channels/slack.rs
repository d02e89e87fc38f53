//! Slack incoming webhooks (and Mattermost's, which take the same body): a Block Kit message — a header, the
//! summary, the facts as fields, a button to the monitor — with `text` as the notification's fallback.

use super::{ACK, OPEN, Outgoing, cut, mark};
use beacon_core::channel::{ChatSpec, masked_url};
use beacon_core::notify::Message;
use serde_json::{Value, json};

/// Slack's mrkdwn needs `&`, `<` and `>` escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn request(spec: &ChatSpec, msg: &Message) -> Outgoing {
    let title = cut(&format!("{} {}", mark(msg.severity), msg.title), 150);
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": title, "emoji": true}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&esc(&msg.summary), 3000)}}),
    ];
    if !msg.facts.is_empty() {
        let fields: Vec<Value> = msg
            .facts
            .iter()
            .take(10)
            .map(|(k, v)| json!({"type": "mrkdwn", "text": cut(&format!("*{}*\n{}", esc(k), esc(v)), 2000)}))
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(link) = &msg.link {
        blocks.push(json!({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": OPEN}, "url": link}
        ]}));
    }
    if let Some(ack) = &msg.ack_link {
        let last = blocks.len() - 1;
        let button = json!({"type": "button", "style": "danger", "text": {"type": "plain_text", "text": ACK}, "url": ack});
        match blocks[last]["elements"].as_array_mut() {
            Some(elements) => elements.push(button),
            None => blocks.push(json!({"type": "actions", "elements": [button]})),
        }
    }
    Outgoing::post(
        spec.url.as_str().to_owned(),
        json!({"text": title, "blocks": blocks}),
    )
    .logged_as(masked_url(&spec.url))
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn block_kit_bodies() {
        let spec = ChatSpec {
            url: beacon_core::endpoint::CheckUrl::parse("https://hooks.slack.com/services/T0/B0/x")
                .expect("url"),
        };
        let down = request(&spec, &sample::down());
        assert_eq!(down.url, "https://hooks.slack.com/services/T0/B0/x");
        insta::assert_snapshot!(
            "slack_down",
            serde_json::to_string_pretty(&down.body).expect("json")
        );
        insta::assert_snapshot!(
            "slack_up",
            serde_json::to_string_pretty(&request(&spec, &sample::up()).body).expect("json")
        );
    }
}
