//! Gotify's `POST /message` with the application token in `X-Gotify-Key`: title, Markdown message, priority by
//! severity, the monitor's page as the notification's click URL.

use super::{ACK, OPEN, Outgoing, join};
use beacon_core::channel::GotifySpec;
use beacon_core::notify::{Message, Severity};
use serde_json::json;

pub fn request(spec: &GotifySpec, msg: &Message) -> Outgoing {
    let priority = match msg.severity {
        Severity::Down => 8,
        Severity::Up => 5,
        Severity::Info => 4,
        Severity::Warning => 6,
    };
    let mut text = msg.summary.clone();
    text.push('\n');
    for (k, v) in &msg.facts {
        text.push_str(&format!("\n**{k}:** {v}  "));
    }
    let mut extras = json!({"client::display": {"contentType": "text/markdown"}});
    if let Some(link) = &msg.link {
        text.push_str(&format!("\n\n[{OPEN}]({link})"));
        extras["client::notification"] = json!({"click": {"url": link}});
    }
    if let Some(ack) = &msg.ack_link {
        text.push_str(&format!("\n\n[{ACK}]({ack})"));
    }
    let mut out = Outgoing::post(
        join(spec.base.as_str(), "/message"),
        json!({"title": msg.title, "message": text, "priority": priority, "extras": extras}),
    );
    out.headers
        .push(("x-gotify-key".into(), spec.token.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn message_bodies() {
        let spec = GotifySpec {
            base: beacon_core::endpoint::CheckUrl::parse("https://gotify.example.com")
                .expect("url"),
            token: "AppT0ken".into(),
        };
        let r = request(&spec, &sample::up());
        assert_eq!(r.url, "https://gotify.example.com/message");
        insta::assert_snapshot!(
            "gotify_up",
            serde_json::to_string_pretty(&r.body).expect("json")
        );
    }
}
