//! An SMTP server for the email tests, on a free port of 127.0.0.1, speaking RFC 5321 as mail servers do:
//! greeting, EHLO with STARTTLS offered, the upgrade to TLS with a certificate for 127.0.0.1 signed by a CA made
//! now (`beacon_kube::fake::localhost_tls`, its PEM in `ca_pem`), AUTH PLAIN/LOGIN offered only over TLS, MAIL, RCPT (one address refused for good
//! with 550 when the test names it), DATA with dot-stuffing, RSET, NOOP, QUIT. What it accepts is kept for the
//! test to read.

use base64::Engine;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-stuffing undone.
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The credentials it authenticated with.
    pub auth: Option<(String, String)>,
}

pub struct Smtp {
    pub port: u16,
    pub ca_pem: String,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl Smtp {
    /// Start the server; RCPT of `refuse` (if any) is answered `550` (a permanent failure).
    pub fn start(refuse: Option<&str>) -> Self {
        let (config, ca_pem) = beacon_kube::fake::localhost_tls();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let (sink, refuse) = (mails.clone(), refuse.map(str::to_owned));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                while let Ok((tcp, _)) = listener.accept().await {
                    let (acceptor, sink, refuse) = (acceptor.clone(), sink.clone(), refuse.clone());
                    tokio::spawn(async move {
                        let mut greet = tcp;
                        if greet
                            .write_all(b"220 127.0.0.1 ESMTP test\r\n")
                            .await
                            .is_err()
                        {
                            return;
                        }
                        if let Some(plain) = session(greet, false, &sink, refuse.as_deref()).await
                            && let Ok(tls) = acceptor.accept(plain).await
                        {
                            session(tls, true, &sink, refuse.as_deref()).await;
                        }
                    });
                }
            });
        });
        Self {
            port,
            ca_pem,
            mails,
        }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("mails").clone()
    }
}

/// One SMTP conversation over `stream` until QUIT or the connection ends; the stream back when the client asked
/// for STARTTLS (and was told to go ahead).
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    tls: bool,
    sink: &Mutex<Vec<Mail>>,
    refuse: Option<&str>,
) -> Option<S> {
    let mut io = BufReader::new(stream);
    let mut mail = Mail {
        tls,
        ..Mail::default()
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    loop {
        let mut line = String::new();
        if io.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let cmd = line.trim_end();
        let upper = cmd.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            if tls {
                "250-127.0.0.1\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n".into()
            } else {
                "250-127.0.0.1\r\n250-STARTTLS\r\n250 8BITMIME\r\n".into()
            }
        } else if upper == "STARTTLS" && !tls {
            io.get_mut().write_all(b"220 go ahead\r\n").await.ok()?;
            return Some(io.into_inner());
        } else if upper.starts_with("AUTH PLAIN") && tls {
            let given = match cmd.split_whitespace().nth(2) {
                Some(g) => g.to_owned(),
                None => {
                    io.get_mut().write_all(b"334 \r\n").await.ok()?;
                    let mut l = String::new();
                    io.read_line(&mut l).await.ok()?;
                    l.trim_end().to_owned()
                }
            };
            let raw = b64.decode(given).unwrap_or_default();
            let parts: Vec<String> = raw
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            mail.auth = parts
                .get(1)
                .zip(parts.get(2))
                .map(|(u, p)| (u.clone(), p.clone()));
            "235 2.7.0 authenticated\r\n".into()
        } else if upper.starts_with("AUTH LOGIN") && tls {
            let mut ask = async |prompt: &[u8]| -> Option<String> {
                io.get_mut().write_all(prompt).await.ok()?;
                let mut l = String::new();
                io.read_line(&mut l).await.ok()?;
                Some(
                    String::from_utf8_lossy(&b64.decode(l.trim_end()).unwrap_or_default())
                        .into_owned(),
                )
            };
            let user = ask(b"334 VXNlcm5hbWU6\r\n").await?;
            let pass = ask(b"334 UGFzc3dvcmQ6\r\n").await?;
            mail.auth = Some((user, pass));
            "235 2.7.0 authenticated\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = address(&cmd[10..]);
            "250 2.1.0 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let to = address(&cmd[8..]);
            if Some(to.as_str()) == refuse {
                "550 5.1.1 no such mailbox here\r\n".into()
            } else {
                mail.to.push(to);
                "250 2.1.5 ok\r\n".into()
            }
        } else if upper == "DATA" {
            io.get_mut()
                .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                .await
                .ok()?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if io.read_line(&mut l).await.ok()? == 0 {
                    return None;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            mail.data = data;
            sink.lock().expect("mails").push(mail.clone());
            mail = Mail {
                tls,
                auth: mail.auth.clone(),
                ..Mail::default()
            };
            "250 2.0.0 queued\r\n".into()
        } else if upper == "RSET" || upper == "NOOP" {
            "250 2.0.0 ok\r\n".into()
        } else if upper == "QUIT" {
            let _ = io.get_mut().write_all(b"221 2.0.0 bye\r\n").await;
            return None;
        } else {
            "502 5.5.2 command not recognised\r\n".into()
        };
        io.get_mut().write_all(reply.as_bytes()).await.ok()?;
    }
}

/// `<a@b>` (with parameters after it) → `a@b`.
fn address(s: &str) -> String {
    let s = s.trim();
    let inner = s.split('>').next().unwrap_or(s);
    inner.trim_start_matches('<').to_owned()
}
