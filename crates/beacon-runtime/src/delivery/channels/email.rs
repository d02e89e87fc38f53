//! An email's subject and bodies: plain text and HTML with the same content (title, summary, facts, link).

use super::{ACK, OPEN, html, mark};
use beacon_core::notify::{Message, Severity};

pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn render(msg: &Message) -> Email {
    let subject = format!("[Beacon] {} {}", mark(msg.severity), msg.title);
    let mut text = format!("{}\n\n{}\n", msg.title, msg.summary);
    let color = match msg.severity {
        Severity::Down => "#d73a49",
        Severity::Up => "#2ea44f",
        Severity::Info => "#0366d6",
        Severity::Warning => "#b08800",
    };
    let mut rich = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;color:#24292e\">\
         <h2 style=\"color:{color};margin:0 0 8px\">{} {}</h2><p>{}</p>",
        mark(msg.severity),
        html(&msg.title),
        html(&msg.summary)
    );
    if !msg.facts.is_empty() {
        text.push('\n');
        rich.push_str("<table cellpadding=\"4\" style=\"border-collapse:collapse\">");
        for (k, v) in &msg.facts {
            text.push_str(&format!("{k}: {v}\n"));
            rich.push_str(&format!(
                "<tr><th align=\"left\" style=\"color:#586069\">{}</th><td>{}</td></tr>",
                html(k),
                html(v)
            ));
        }
        rich.push_str("</table>");
    }
    if let Some(link) = &msg.link {
        text.push_str(&format!("\n{OPEN}: {link}\n"));
        rich.push_str(&format!("<p><a href=\"{}\">{OPEN}</a></p>", html(link)));
    }
    if let Some(ack) = &msg.ack_link {
        text.push_str(&format!("{ACK}: {ack}\n"));
        rich.push_str(&format!("<p><a href=\"{}\">{ACK}</a></p>", html(ack)));
    }
    text.push_str("\n-- \nSent by Beacon\n");
    rich.push_str("<p style=\"color:#586069;font-size:12px\">Sent by Beacon</p></body></html>");
    Email {
        subject,
        text,
        html: rich,
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn text_and_html_say_the_same() {
        let e = render(&sample::down());
        assert_eq!(e.subject, "[Beacon] 🔴 Shop / API is down");
        insta::assert_snapshot!("email_down_text", e.text);
        insta::assert_snapshot!("email_down_html", e.html);
    }
}
