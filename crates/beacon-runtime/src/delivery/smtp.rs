//! Sending an email channel's message over SMTP (lettre): STARTTLS (required, never downgraded), implicit TLS or
//! plain, optional credentials, a text and an HTML part. The server's answer decides the attempt like an HTTP
//! status: accepted → delivered; a permanent (5xx) refusal → failed for good; a transient (4xx) refusal, a
//! connection failure or a timeout → retried.

use super::channels::email;
use super::{DeliveryConfig, Posted};
use beacon_core::Millis;
use beacon_core::channel::{EmailSpec, SmtpSecurity};
use beacon_core::notify::Message;
use beacon_store::AttemptRecord;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::json;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How emails are sent: TLS trust as for HTTP receivers, and the time one sending may take.
#[derive(Clone)]
pub struct Smtp {
    extra_root_ca: Option<Vec<u8>>,
    accept_invalid_certs: bool,
    timeout: Duration,
}

impl Smtp {
    pub fn new(config: &DeliveryConfig) -> Self {
        Self {
            extra_root_ca: config.extra_root_ca.clone(),
            accept_invalid_certs: config.accept_invalid_certs,
            timeout: config.request_timeout,
        }
    }

    fn transport(&self, spec: &EmailSpec) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = || -> Result<TlsParameters, String> {
            let mut b = TlsParameters::builder(spec.host.clone())
                .dangerous_accept_invalid_certs(self.accept_invalid_certs);
            if let Some(pem) = &self.extra_root_ca {
                b = b.add_root_certificate(
                    Certificate::from_pem(pem).map_err(|e| format!("the receivers' CA: {e}"))?,
                );
            }
            b.build_rustls().map_err(|e| format!("TLS settings: {e}"))
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(spec.host.as_str())
            .port(spec.port)
            .timeout(Some(self.timeout))
            .tls(match spec.security {
                SmtpSecurity::StartTls => Tls::Required(tls()?),
                SmtpSecurity::Tls => Tls::Wrapper(tls()?),
                SmtpSecurity::None => Tls::None,
            });
        if let (Some(user), Some(password)) = (&spec.user, &spec.password) {
            b = b.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(b.build())
    }

    /// Send one message; the attempt as logged (no password in it) and how it ended.
    pub async fn send(
        &self,
        spec: &EmailSpec,
        msg: &Message,
        delivery_id: Uuid,
        now: Millis,
    ) -> Posted {
        let mail = email::render(msg);
        let to: Vec<String> = spec.to.iter().map(ToString::to_string).collect();
        let mut record = AttemptRecord {
            started_at: now,
            request_url: format!(
                "smtp://{}:{} ({})",
                spec.host,
                spec.port,
                spec.security.as_str()
            ),
            request_headers: json!({
                "from": spec.from.to_string(),
                "to": to.join(", "),
                "subject": mail.subject,
            })
            .to_string(),
            request_body: mail.text.clone(),
            ..AttemptRecord::default()
        };
        let refused = |mut record: AttemptRecord, error: String| {
            record.error = Some(error);
            Posted {
                record,
                status: None,
                retry_after: None,
                refused: true,
            }
        };
        let mailbox = |m: &beacon_core::channel::Mailbox| -> Result<Mailbox, String> {
            m.to_string()
                .parse::<Mailbox>()
                .map_err(|e| format!("address {m}: {e}"))
        };
        let mut builder = lettre::Message::builder()
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}@beacon>", delivery_id.simple())));
        match mailbox(&spec.from) {
            Ok(m) => builder = builder.from(m),
            Err(e) => return refused(record, e),
        }
        for t in &spec.to {
            match mailbox(t) {
                Ok(m) => builder = builder.to(m),
                Err(e) => return refused(record, e),
            }
        }
        let message = match builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        )) {
            Ok(m) => m,
            Err(e) => return refused(record, format!("building the email: {e}")),
        };
        let transport = match self.transport(spec) {
            Ok(t) => t,
            Err(e) => return refused(record, e),
        };
        let started = Instant::now();
        let result = transport.send(message).await;
        record.latency_us = i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX);
        match result {
            Ok(resp) => {
                let code: u16 = resp.code().to_string().parse().unwrap_or(250);
                record.response_status = Some(code);
                record.response_body = Some(resp.message().collect::<Vec<_>>().join("\n"));
                Posted {
                    record,
                    // Accepted for delivery: a 2xx, as an HTTP receiver's.
                    status: Some(200),
                    retry_after: None,
                    refused: false,
                }
            }
            Err(e) => {
                record.timed_out = e.is_timeout();
                record.response_status = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
                let error = format!("SMTP: {e}");
                if e.is_permanent() {
                    refused(record, error)
                } else {
                    record.error = Some(error);
                    Posted {
                        record,
                        status: None,
                        retry_after: None,
                        refused: false,
                    }
                }
            }
        }
    }
}
