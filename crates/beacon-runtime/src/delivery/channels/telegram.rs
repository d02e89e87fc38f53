//! Telegram's Bot API `sendMessage`: HTML text (title in bold, summary, facts, link) to a chat, optionally a
//! forum topic. The bot token is in the URL's path, so the logged URL hides it. A 429 says how long to wait in
//! `parameters.retry_after` (seconds).

use super::{ACK, OPEN, Outgoing, cut, html, join, mark};
use beacon_core::channel::TelegramSpec;
use beacon_core::notify::Message;
use serde_json::{Value, json};
use std::time::Duration;

pub fn request(spec: &TelegramSpec, msg: &Message) -> Outgoing {
    let mut text = format!(
        "<b>{} {}</b>\n{}\n",
        mark(msg.severity),
        html(&msg.title),
        html(&msg.summary)
    );
    for (k, v) in &msg.facts {
        text.push_str(&format!("\n<b>{}:</b> {}", html(k), html(v)));
    }
    if let Some(link) = &msg.link {
        text.push_str(&format!("\n\n<a href=\"{}\">{OPEN}</a>", html(link)));
    }
    if let Some(ack) = &msg.ack_link {
        text.push_str(&format!("\n<a href=\"{}\">{ACK}</a>", html(ack)));
    }
    let mut body = json!({
        "chat_id": spec.chat_id,
        "text": cut(&text, 4096),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": true},
    });
    if let Some(t) = spec.thread_id {
        body["message_thread_id"] = json!(t);
    }
    let base = spec.base.as_str();
    Outgoing::post(
        join(base, &format!("/bot{}/sendMessage", spec.bot_token)),
        body,
    )
    .logged_as(join(base, "/bot[redacted]/sendMessage"))
}

pub fn retry_hint(v: &Value) -> Option<Duration> {
    Some(Duration::from_secs(
        v.get("parameters")?.get("retry_after")?.as_u64()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn send_message_bodies_and_the_retry_hint() {
        let spec = TelegramSpec {
            base: beacon_core::endpoint::CheckUrl::parse("https://api.telegram.org").expect("url"),
            bot_token: "123456:ABC-secret".into(),
            chat_id: "-1001234567890".into(),
            thread_id: Some(42),
        };
        let r = request(&spec, &sample::down());
        assert_eq!(
            r.url,
            "https://api.telegram.org/bot123456:ABC-secret/sendMessage"
        );
        assert_eq!(
            r.logged_url,
            "https://api.telegram.org/bot[redacted]/sendMessage"
        );
        insta::assert_snapshot!(
            "telegram_down",
            serde_json::to_string_pretty(&r.body).expect("json")
        );
        assert_eq!(
            retry_hint(
                &json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}})
            ),
            Some(Duration::from_secs(7))
        );
    }
}
