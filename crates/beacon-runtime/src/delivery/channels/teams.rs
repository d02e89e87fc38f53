//! Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is received"): a
//! message with one Adaptive Card (title coloured by severity, the summary, a fact set, a button).

use super::{ACK, OPEN, Outgoing, mark};
use beacon_core::channel::{ChatSpec, masked_url};
use beacon_core::notify::{Message, Severity};
use serde_json::{Value, json};

pub fn request(spec: &ChatSpec, msg: &Message) -> Outgoing {
    let color = match msg.severity {
        Severity::Down => "Attention",
        Severity::Up => "Good",
        Severity::Info => "Accent",
        Severity::Warning => "Warning",
    };
    let facts: Vec<Value> = msg
        .facts
        .iter()
        .map(|(k, v)| json!({"title": k, "value": v}))
        .collect();
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "size": "Large", "weight": "Bolder", "wrap": true, "color": color,
             "text": format!("{} {}", mark(msg.severity), msg.title)},
            {"type": "TextBlock", "wrap": true, "text": msg.summary},
            {"type": "FactSet", "facts": facts},
        ],
    });
    if let Some(link) = &msg.link {
        card["actions"] = json!([{"type": "Action.OpenUrl", "title": OPEN, "url": link}]);
    }
    if let Some(ack) = &msg.ack_link {
        let action = json!({"type": "Action.OpenUrl", "title": ACK, "url": ack});
        match card["actions"].as_array_mut() {
            Some(actions) => actions.push(action),
            None => card["actions"] = json!([action]),
        }
    }
    Outgoing::post(
        spec.url.as_str().to_owned(),
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": card,
            }],
        }),
    )
    .logged_as(masked_url(&spec.url))
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn adaptive_card_bodies() {
        let spec = ChatSpec {
            url: beacon_core::endpoint::CheckUrl::parse("https://prod.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=x").expect("url"),
        };
        insta::assert_snapshot!(
            "teams_down",
            serde_json::to_string_pretty(&request(&spec, &sample::down()).body).expect("json")
        );
    }
}
