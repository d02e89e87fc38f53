//! Google Chat incoming webhooks: `text` for the notification, and a card (`cardsV2`) with a header, the facts
//! as decorated text and a button.

use super::{ACK, OPEN, Outgoing, html, mark};
use beacon_core::channel::{ChatSpec, masked_url};
use beacon_core::notify::Message;
use serde_json::{Value, json};

pub fn request(spec: &ChatSpec, msg: &Message) -> Outgoing {
    let title = format!("{} {}", mark(msg.severity), msg.title);
    let mut widgets: Vec<Value> = vec![json!({"textParagraph": {"text": html(&msg.summary)}})];
    widgets.extend(msg.facts.iter().map(
        |(k, v)| json!({"decoratedText": {"topLabel": k, "text": html(v), "wrapText": true}}),
    ));
    let mut buttons: Vec<Value> = Vec::new();
    if let Some(link) = &msg.link {
        buttons.push(json!({"text": OPEN, "onClick": {"openLink": {"url": link}}}));
    }
    if let Some(ack) = &msg.ack_link {
        buttons.push(json!({"text": ACK, "onClick": {"openLink": {"url": ack}}}));
    }
    if !buttons.is_empty() {
        widgets.push(json!({"buttonList": {"buttons": buttons}}));
    }
    Outgoing::post(
        spec.url.as_str().to_owned(),
        json!({
            "text": title,
            "cardsV2": [{
                "cardId": format!("beacon-{}", msg.kind),
                "card": {
                    "header": {"title": title, "subtitle": msg.subject},
                    "sections": [{"widgets": widgets}],
                },
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
    fn card_bodies() {
        let spec = ChatSpec {
            url: beacon_core::endpoint::CheckUrl::parse(
                "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t",
            )
            .expect("url"),
        };
        insta::assert_snapshot!(
            "google_chat_down",
            serde_json::to_string_pretty(&request(&spec, &sample::down()).body).expect("json")
        );
    }
}
