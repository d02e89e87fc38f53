//! The probers against real servers on 127.0.0.1: HTTP success with timings and each failure class (here), TCP,
//! DNS, TLS and conditions (`kinds`).

mod kinds;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Redirect;
use axum::routing::{any, get};
use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_core::ping::ErrorKind;
use beacon_probe::{HttpProber, Prober, Probers};
use std::time::Duration;

async fn serve() -> String {
    let app = Router::new()
        .route("/ok", get(|| async { "all good" }))
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/echo",
            any(
                |headers: HeaderMap, method: axum::http::Method, body: String| async move {
                    let token = headers
                        .get("x-token")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    format!("{method} token={token} body={body}")
                },
            ),
        )
        .route(
            "/hop/{n}",
            get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    if n == 0 {
                        Redirect::temporary("/ok")
                    } else {
                        Redirect::temporary(&format!("/hop/{}", n - 1))
                    }
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn spec(url: String, tweak: impl FnOnce(&mut EndpointInput)) -> EndpointSpec {
    let mut input = EndpointInput {
        name: Some("t".into()),
        url: Some(url),
        timeout_seconds: Some(1.0),
        ..Default::default()
    };
    tweak(&mut input);
    EndpointSpec::create(input).expect("valid spec")
}

fn prober() -> Probers {
    Probers::new().expect("tls config")
}

#[tokio::test]
async fn success_reports_phase_timings() {
    let base = serve().await;
    let obs = prober().probe(&spec(format!("{base}/ok"), |_| {})).await;
    assert!(obs.success(), "{obs:?}");
    assert_eq!(obs.status_code, Some(200));
    let t = obs.timings;
    assert_eq!(t.dns_us, None, "IP literal needs no DNS");
    assert_eq!(t.tls_us, None, "plain http has no TLS");
    let (connect, first) = (
        t.connect_us.expect("connect"),
        t.first_byte_us.expect("first byte"),
    );
    assert!(t.total_us >= connect + first, "{t:?}");
}

#[tokio::test]
async fn localhost_name_is_resolved_and_timed() {
    let base = serve().await.replace("127.0.0.1", "localhost");
    let obs = prober().probe(&spec(format!("{base}/ok"), |_| {})).await;
    // localhost may resolve to ::1 first, where nothing listens; the prober tries every address.
    assert!(obs.success(), "{obs:?}");
    assert!(obs.timings.dns_us.is_some());
}

#[tokio::test]
async fn failures_are_classified() {
    let base = serve().await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        format!("http://127.0.0.1:{port}/")
    };
    let cases: Vec<(EndpointSpec, ErrorKind, &str)> = vec![
        (
            spec(format!("{base}/fail"), |_| {}),
            ErrorKind::Status,
            "unexpected status 500 (expected 200-299); response: \"boom\"",
        ),
        (
            spec(format!("{base}/slow"), |i| i.timeout_seconds = Some(0.3)),
            ErrorKind::Timeout,
            "no complete response within 0.3 s",
        ),
        (
            spec(refused, |_| {}),
            ErrorKind::Connect,
            "cannot connect to 127.0.0.1",
        ),
        (
            spec("http://no-such-host.invalid/".into(), |_| {}),
            ErrorKind::Dns,
            "no-such-host.invalid",
        ),
        (
            spec(format!("{base}/ok"), |i| {
                i.expect_body_contains = Some("missing".into())
            }),
            ErrorKind::Body,
            "does not contain \"missing\"; response: \"all good\"",
        ),
        (
            spec(format!("{base}/hop/9"), |_| {}),
            ErrorKind::Other,
            "more than 5 redirects",
        ),
        (
            spec(
                format!("https://{}/ok", base.trim_start_matches("http://")),
                |_| {},
            ),
            ErrorKind::Tls,
            "TLS handshake failed",
        ),
    ];
    for (spec, kind, message) in cases {
        let obs = prober().probe(&spec).await;
        let (got_kind, got_message) = obs.failure.clone().unwrap_or_else(|| {
            panic!(
                "{} must fail",
                spec.check.as_http().expect("http").url.as_str()
            )
        });
        assert_eq!(
            got_kind,
            kind,
            "{}: {got_message}",
            spec.check.as_http().expect("http").url.as_str()
        );
        assert!(
            got_message.contains(message),
            "{got_message:?} should mention {message:?}"
        );
    }
}

#[tokio::test]
async fn timeout_is_enforced_promptly() {
    let base = serve().await;
    let started = std::time::Instant::now();
    let obs = prober()
        .probe(&spec(format!("{base}/slow"), |i| {
            i.timeout_seconds = Some(0.2)
        }))
        .await;
    assert_eq!(obs.failure.as_ref().map(|f| f.0), Some(ErrorKind::Timeout));
    // The answer comes after 5 s: the check gave up on it rather than waiting.
    assert!(started.elapsed() < Duration::from_secs(5), "{obs:?}");
    assert!(obs.timings.total_us >= 200_000);
}

#[tokio::test]
async fn method_headers_body_and_assertions() {
    let base = serve().await;
    let s = spec(format!("{base}/echo"), |i| {
        i.method = Some("POST".into());
        i.headers = Some(vec!["X-Token: s3cret".into()]);
        i.body = Some("{\"a\":1}".into());
        i.expect_body_contains = Some("POST token=s3cret body={\"a\":1}".into());
    });
    let obs = prober().probe(&s).await;
    assert!(obs.success(), "{obs:?}");
}

#[tokio::test]
async fn redirects_follow_up_to_five_unless_disabled() {
    let base = serve().await;
    let obs = prober().probe(&spec(format!("{base}/hop/4"), |_| {})).await;
    assert!(obs.success(), "{obs:?}");
    assert_eq!(obs.status_code, Some(200));
    let obs = prober()
        .probe(&spec(format!("{base}/hop/0"), |i| {
            i.follow_redirects = Some(false)
        }))
        .await;
    assert_eq!(obs.status_code, Some(307));
    assert_eq!(
        obs.failure.map(|f| f.0),
        Some(ErrorKind::Status),
        "307 is not in 200-299"
    );
    let obs = prober()
        .probe(&spec(format!("{base}/hop/0"), |i| {
            i.follow_redirects = Some(false);
            i.expected_status = Some("300-399".into());
        }))
        .await;
    assert!(obs.success());
}

/// A TLS server on 127.0.0.1 with a fresh self-signed certificate for `localhost`; answers one fixed response.
async fn serve_tls() -> (u16, rustls::pki_types::CertificateDer<'static>) {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let cert_der = cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecure",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, cert_der)
}

#[tokio::test]
async fn https_times_the_handshake_and_verifies_the_certificate() {
    let (port, cert) = serve_tls().await;
    let url = format!("https://localhost:{port}/");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("root");
    let trusting = Probers::with_roots(roots).expect("tls config");
    let obs = trusting
        .probe(&spec(url.clone(), |i| {
            i.expect_body_contains = Some("secure".into())
        }))
        .await;
    assert!(obs.success(), "{obs:?}");
    let t = obs.timings;
    assert!(
        t.dns_us.is_some()
            && t.connect_us.is_some()
            && t.tls_us.is_some()
            && t.first_byte_us.is_some(),
        "{t:?}"
    );
    // The public roots do not trust a self-signed certificate: a TLS failure, named as such.
    let obs = prober().probe(&spec(url, |_| {})).await;
    let (kind, message) = obs.failure.expect("untrusted certificate must fail");
    assert_eq!(kind, ErrorKind::Tls);
    assert!(message.contains("certificate"), "{message}");
}

/// A server that answers 200 and then sends body bytes until the client hangs up; returns its URL and a counter
/// of the bytes it managed to write.
async fn endless_body() -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::Ordering;
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = written.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 1024];
                let _ = tokio::io::AsyncReadExt::read(&mut conn, &mut head).await;
                let _ = conn
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstatus=UP ")
                    .await;
                let chunk = vec![b'x'; 64 * 1024];
                while conn.write_all(&chunk).await.is_ok() {
                    counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
            });
        }
    });
    (format!("http://{addr}/"), written)
}

#[tokio::test]
async fn an_endless_body_is_read_up_to_the_limit_then_the_check_hangs_up() {
    let (url, written) = endless_body().await;
    let prober = Probers {
        http: HttpProber::new()
            .expect("tls config")
            .with_max_body(256 * 1024),
        ..Probers::new().expect("tls config")
    };
    let s = spec(url, |i| {
        i.timeout_seconds = Some(10.0);
        i.expect_body_contains = Some("status=UP".into());
    });
    let obs = prober.probe(&s).await;
    // Before the limit stopped the read, this ran into the timeout.
    assert!(obs.success(), "{obs:?}");
    // The server sees the connection close: it stops being able to write soon after the prefix was read.
    let mut last = written.load(std::sync::atomic::Ordering::Relaxed);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = written.load(std::sync::atomic::Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
    }
    assert!(last < 64 << 20, "the server wrote {last} bytes");
}
