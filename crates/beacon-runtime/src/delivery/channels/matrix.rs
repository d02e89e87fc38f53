//! Matrix's client-server API: `PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}` with the
//! access token as `Authorization: Bearer`. The transaction id is the delivery's id, so a retried delivery is
//! one message (the homeserver deduplicates). A 429's body says `retry_after_ms`.

use super::{ACK, OPEN, Outgoing, html, join, mark};
use beacon_core::channel::MatrixSpec;
use beacon_core::notify::Message;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

/// A path segment with everything but unreserved characters percent-encoded (room ids hold `!` and `:`).
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn request(spec: &MatrixSpec, msg: &Message, delivery_id: Uuid) -> Outgoing {
    let mut plain = format!("{} {}\n{}", mark(msg.severity), msg.title, msg.summary);
    let mut rich = format!(
        "<p><strong>{} {}</strong></p><p>{}</p>",
        mark(msg.severity),
        html(&msg.title),
        html(&msg.summary)
    );
    if !msg.facts.is_empty() {
        rich.push_str("<ul>");
        for (k, v) in &msg.facts {
            plain.push_str(&format!("\n{k}: {v}"));
            rich.push_str(&format!(
                "<li><strong>{}:</strong> {}</li>",
                html(k),
                html(v)
            ));
        }
        rich.push_str("</ul>");
    }
    if let Some(link) = &msg.link {
        plain.push_str(&format!("\n{OPEN}: {link}"));
        rich.push_str(&format!("<p><a href=\"{}\">{OPEN}</a></p>", html(link)));
    }
    if let Some(ack) = &msg.ack_link {
        plain.push_str(&format!("\n{ACK}: {ack}"));
        rich.push_str(&format!("<p><a href=\"{}\">{ACK}</a></p>", html(ack)));
    }
    let url = join(
        spec.base.as_str(),
        &format!(
            "/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
            segment(&spec.room_id),
            delivery_id.simple()
        ),
    );
    let mut out = Outgoing::post(
        url,
        json!({"msgtype": "m.text", "body": plain, "format": "org.matrix.custom.html", "formatted_body": rich}),
    );
    out.method = reqwest::Method::PUT;
    out.headers
        .push(("authorization".into(), format!("Bearer {}", spec.token)));
    out
}

pub fn retry_hint(v: &Value) -> Option<Duration> {
    Some(Duration::from_millis(v.get("retry_after_ms")?.as_u64()?))
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn room_messages_are_idempotent_per_delivery() {
        let spec = MatrixSpec {
            base: beacon_core::endpoint::CheckUrl::parse("https://matrix.example.org")
                .expect("url"),
            token: "syt_secret".into(),
            room_id: "!abc:example.org".into(),
        };
        let r = request(&spec, &sample::down(), sample::ID);
        assert_eq!(r.method, reqwest::Method::PUT);
        assert_eq!(
            r.url,
            format!(
                "https://matrix.example.org/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message/{}",
                sample::ID.simple()
            )
        );
        insta::assert_snapshot!(
            "matrix_down",
            serde_json::to_string_pretty(&r.body).expect("json")
        );
        assert_eq!(
            retry_hint(&json!({"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2000})),
            Some(Duration::from_secs(2))
        );
    }
}
