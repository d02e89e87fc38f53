//! TCP, DNS and TLS checks, and conditions, against real servers the tests start (`beacon_probe::testkit`).

use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_core::ping::{ErrorKind, Observation};
use beacon_probe::testkit::{
    Cert, TestCa, closed_port, dns_server, tcp_full, tcp_greeter, tcp_silent,
};
use beacon_probe::{Prober, Probers};

fn spec(kind: &str, target: &str, tweak: impl FnOnce(&mut EndpointInput)) -> EndpointSpec {
    let mut input = EndpointInput {
        name: Some("t".into()),
        kind: Some(kind.into()),
        target: Some(target.into()),
        timeout_seconds: Some(1.0),
        ..Default::default()
    };
    tweak(&mut input);
    EndpointSpec::create(input).expect("valid spec")
}

fn failed(obs: &Observation) -> (ErrorKind, String) {
    obs.failure
        .clone()
        .unwrap_or_else(|| panic!("must fail: {obs:?}"))
}

fn conditions(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|c| c.to_string()).collect())
}

/// Days from now until the certificate expiry a result kept, rounded (valid test certificates have an hour more).
fn days_left(obs: &Observation) -> Option<i64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    obs.details
        .certificate_expires_at
        .map(|at| ((at - now) as f64 / 86_400_000.0).round() as i64)
}

#[tokio::test]
async fn tcp_connects_sends_and_expects() {
    let p = Probers::new().expect("probers");
    let port = tcp_greeter("hello from redis-ish\r\n").await;
    let target = format!("127.0.0.1:{port}");

    let open = p.probe(&spec("tcp", &target, |_| {})).await;
    assert!(open.success(), "{open:?}");
    assert!(open.timings.connect_us.is_some() && open.timings.dns_us.is_none());

    let ping = p
        .probe(&spec("tcp", &target, |i| {
            i.send = Some("PING\\r\\n".into());
            i.expect = Some(vec!["PONG".into()]);
            i.conditions = conditions(&["[CONNECTED] == true", "[BODY] == pat(*PONG*)"]);
        }))
        .await;
    assert!(ping.success(), "{ping:?}");
    assert!(ping.timings.first_byte_us.is_some());

    let wrong = p
        .probe(&spec("tcp", &target, |i| {
            i.send = Some("PING\\r\\n".into());
            i.expect = Some(vec!["+OK".into()]);
        }))
        .await;
    let (kind, msg) = failed(&wrong);
    assert_eq!(
        kind,
        ErrorKind::Timeout,
        "it waits for the expected text: {msg}"
    );

    let banner = p
        .probe(&spec("tcp", &target, |i| {
            i.conditions = conditions(&["[BODY] == pat(SSH-*)"]);
        }))
        .await;
    let (kind, msg) = failed(&banner);
    assert_eq!(kind, ErrorKind::Condition);
    assert!(msg.starts_with("[BODY] (hello from redis-ish"), "{msg}");

    let closed = p
        .probe(&spec(
            "tcp",
            &format!("127.0.0.1:{}", closed_port()),
            |_| {},
        ))
        .await;
    let (kind, msg) = failed(&closed);
    assert_eq!(kind, ErrorKind::Connect);
    assert!(msg.contains("cannot connect"), "{msg}");

    let silent = p
        .probe(&spec(
            "tcp",
            &format!("127.0.0.1:{}", tcp_silent().await),
            |i| {
                i.send = Some("HELLO\\r\\n".into());
                i.expect = Some(vec!["WELCOME".into()]);
            },
        ))
        .await;
    let (kind, msg) = failed(&silent);
    assert_eq!(kind, ErrorKind::Timeout);
    assert!(msg.contains("no expected answer within 1 s"), "{msg}");

    // A server too slow to accept: the handshake is never answered, and the check times out waiting for it.
    let (port, _full) = tcp_full().await;
    let slow = p
        .probe(&spec("tcp", &format!("127.0.0.1:{port}"), |_| {}))
        .await;
    assert_eq!(
        failed(&slow),
        (ErrorKind::Timeout, "no connection within 1 s".to_owned())
    );
}

#[tokio::test]
async fn dns_answers_rcodes_truncation_and_timeouts() {
    let p = Probers::new().expect("probers");
    let server = dns_server().await.to_string();
    let dns = |name: &str, tweak: &dyn Fn(&mut EndpointInput)| {
        spec("dns", name, |i| {
            i.dns_server = Some(server.clone());
            tweak(i);
        })
    };

    let a = p.probe(&dns("ok.test", &|_| {})).await;
    assert!(a.success(), "{a:?}");
    assert!(a.timings.dns_us.is_some());
    assert_eq!(
        (a.details.rcode.as_deref(), a.details.answers.clone()),
        (
            Some("NOERROR"),
            vec!["10.0.0.1".to_owned(), "10.0.0.2".to_owned()]
        ),
        "the answers are kept with the result"
    );
    let expected = p
        .probe(&dns("ok.test", &|i| {
            i.expect = Some(vec!["10.0.0.2".into(), "10.0.0.1".into()]);
            i.conditions = conditions(&[
                "[DNS_RCODE] == NOERROR",
                "[IP] == 10.0.0.1",
                "[RESPONSE_TIME] < 1s",
            ]);
        }))
        .await;
    assert!(expected.success(), "{expected:?}");
    let mx = p
        .probe(&dns("OK.test", &|i| {
            i.record_type = Some("mx".into());
            i.expect = Some(vec!["10 mail.ok.test".into()]);
        }))
        .await;
    assert!(mx.success(), "case and the final dot do not matter: {mx:?}");
    let txt = p
        .probe(&dns("ok.test", &|i| {
            i.record_type = Some("TXT".into());
            i.conditions = conditions(&["[BODY] == pat(v=spf1*)"]);
        }))
        .await;
    assert!(txt.success(), "{txt:?}");

    let other = p
        .probe(&dns("ok.test", &|i| {
            i.expect = Some(vec!["10.0.0.9".into()])
        }))
        .await;
    let (kind, msg) = failed(&other);
    assert_eq!(kind, ErrorKind::Body);
    assert!(
        msg.contains("expected \"10.0.0.9\" among the answers, got \"10.0.0.1\", \"10.0.0.2\""),
        "{msg}"
    );
    let nx = p.probe(&dns("missing.test", &|_| {})).await;
    let (kind, msg) = failed(&nx);
    assert_eq!(kind, ErrorKind::Dns);
    assert!(
        msg.contains("answered NXDOMAIN for A missing.test"),
        "{msg}"
    );
    let must_not_exist = p
        .probe(&dns("missing.test", &|i| {
            i.conditions = conditions(&["[DNS_RCODE] == NXDOMAIN"]);
        }))
        .await;
    assert!(
        must_not_exist.success(),
        "a condition on the rcode decides: {must_not_exist:?}"
    );
    let servfail = p.probe(&dns("broken.test", &|_| {})).await;
    assert!(failed(&servfail).1.contains("SERVFAIL"));
    let wrong_rcode = p
        .probe(&dns("broken.test", &|i| {
            i.conditions = conditions(&["[DNS_RCODE] == NOERROR"]);
        }))
        .await;
    assert_eq!(
        failed(&wrong_rcode),
        (
            ErrorKind::Condition,
            "[DNS_RCODE] (SERVFAIL) == NOERROR".to_owned()
        )
    );
    let empty = p
        .probe(&dns("ok.test", &|i| i.record_type = Some("NS".into())))
        .await;
    assert!(failed(&empty).1.contains("has no NS record for ok.test"));
    let big = p
        .probe(&dns("big.test", &|i| {
            i.expect = Some(vec!["10.1.0.60".into()])
        }))
        .await;
    assert!(
        big.success(),
        "a truncated answer is asked again over TCP: {big:?}"
    );
    let slow = p.probe(&dns("slow.test", &|_| {})).await;
    assert_eq!(
        failed(&slow),
        (ErrorKind::Timeout, "no DNS answer within 1 s".to_owned())
    );

    // Without a server, the first nameserver of the resolver file.
    let conf = std::env::temp_dir().join(format!("beacon-resolv-{}", std::process::id()));
    std::fs::write(
        &conf,
        format!(
            "# test\nnameserver {}\n",
            server.split(':').next().unwrap_or_default()
        ),
    )
    .expect("write");
    let system = Probers::new()
        .expect("probers")
        .with_resolv_conf(conf.clone());
    let via_53 = system.probe(&spec("dns", "ok.test", |_| {})).await;
    // The test server is not on port 53: the query goes there and is refused or unanswered.
    assert!(!via_53.success(), "{via_53:?}");
    std::fs::write(&conf, "search example.com\n").expect("write");
    let none = system.probe(&spec("dns", "ok.test", |_| {})).await;
    assert!(failed(&none).1.contains("names no nameserver"), "{none:?}");
    let _ = std::fs::remove_file(conf);
}

#[tokio::test]
async fn tls_judges_trust_name_and_expiry() {
    let ca = TestCa::new();
    let p = Probers::with_roots(ca.roots()).expect("probers");
    let check = |port: u16, tweak: &dyn Fn(&mut EndpointInput)| {
        spec("tls", &format!("localhost:{port}"), |i| tweak(i))
    };

    let fine = p
        .probe(&check(ca.serve(Cert::Valid { days: 90 }, "").await, &|i| {
            i.conditions = conditions(&["[CERTIFICATE_EXPIRATION] > 60d", "[CONNECTED] == true"]);
        }))
        .await;
    assert!(fine.success(), "{fine:?}");
    assert!(fine.timings.tls_us.is_some());
    assert_eq!(
        days_left(&fine),
        Some(90),
        "the expiry is kept with the result"
    );

    let soon = p
        .probe(&check(ca.serve(Cert::Valid { days: 5 }, "").await, &|_| {}))
        .await;
    assert_eq!(
        failed(&soon),
        (
            ErrorKind::Tls,
            "certificate for localhost expires in 5 days, below the 14-day threshold".to_owned()
        )
    );
    let warned = p
        .probe(&check(
            ca.serve(Cert::Valid { days: 20 }, "").await,
            &|_| {},
        ))
        .await;
    assert!(warned.success(), "a warning is not a failure: {warned:?}");
    assert_eq!(
        warned.degraded(),
        Some("certificate for localhost expires in 20 days, below the 30-day warning")
    );
    let lenient = p
        .probe(&check(ca.serve(Cert::Valid { days: 5 }, "").await, &|i| {
            i.cert_fail_days = Some(3);
            i.cert_warn_days = Some(10);
        }))
        .await;
    assert!(lenient.success(), "{lenient:?}");

    let expired = p
        .probe(&check(ca.serve(Cert::Expired, "").await, &|_| {}))
        .await;
    assert_eq!(
        failed(&expired),
        (ErrorKind::Tls, "certificate expired 2 days ago".to_owned())
    );
    assert_eq!(days_left(&expired), Some(-2), "kept on failure too");
    let wrong = p
        .probe(&check(ca.serve(Cert::WrongName, "").await, &|_| {}))
        .await;
    assert_eq!(
        failed(&wrong),
        (
            ErrorKind::Tls,
            "certificate is not valid for localhost".to_owned()
        )
    );
    let named = p
        .probe(&check(ca.serve(Cert::WrongName, "").await, &|i| {
            i.sni = Some("other.test".into());
        }))
        .await;
    assert!(
        named.success(),
        "SNI names the certificate's name: {named:?}"
    );
    let selfie = p
        .probe(&check(ca.serve(Cert::SelfSigned, "").await, &|_| {}))
        .await;
    let (kind, msg) = failed(&selfie);
    assert_eq!(kind, ErrorKind::Tls);
    assert!(msg.contains("not signed by a trusted authority"), "{msg}");
    let nothing = p.probe(&check(closed_port(), &|_| {})).await;
    assert_eq!(failed(&nothing).0, ErrorKind::Connect);

    // TCP with TLS verifies the same way, and sees the certificate's expiry.
    let port = ca
        .serve(Cert::Valid { days: 40 }, "* OK IMAP ready\r\n")
        .await;
    let imaps = p
        .probe(&spec("tcp", &format!("localhost:{port}"), |i| {
            i.tls = Some(true);
            i.expect = Some(vec!["* OK".into()]);
            i.conditions = conditions(&["[CERTIFICATE_EXPIRATION] > 30d"]);
        }))
        .await;
    assert!(imaps.success(), "{imaps:?}");
    assert_eq!(days_left(&imaps), Some(40));
    let untrusted = Probers::new()
        .expect("probers")
        .probe(&spec("tcp", &format!("localhost:{port}"), |i| {
            i.tls = Some(true)
        }))
        .await;
    assert_eq!(failed(&untrusted).0, ErrorKind::Tls);
}

#[tokio::test]
async fn http_conditions_read_status_body_json_and_time() {
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/health",
            get(|| async { r#"{"status":"UP","checks":[{"name":"db","state":"ok"}]}"# }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                "late but fine"
            }),
        )
        .route(
            "/down",
            get(|| async {
                (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    r#"{"status":"DOWN"}"#,
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let p = Probers::new().expect("probers");
    let http = |path: &str, list: &[&str], tweak: &dyn Fn(&mut EndpointInput)| {
        let mut input = EndpointInput {
            name: Some("h".into()),
            url: Some(format!("{base}{path}")),
            timeout_seconds: Some(1.0),
            conditions: conditions(list),
            ..Default::default()
        };
        tweak(&mut input);
        EndpointSpec::create(input).expect("valid")
    };
    let up = p
        .probe(&http(
            "/health",
            &[
                "[STATUS] == 200",
                "[BODY].status == UP",
                "[BODY].checks[0].state == ok",
                "len([BODY].checks) == 1",
                "[RESPONSE_TIME] < 1s",
                "[IP] == 127.0.0.1",
                "[CONNECTED] == true",
            ],
            &|_| {},
        ))
        .await;
    assert!(up.success(), "{up:?}");
    let json_path = p
        .probe(&http("/health", &[], &|i| {
            i.expect_json_path = Some("$.status".into());
            i.equals = Some("DOWN".into());
        }))
        .await;
    assert_eq!(
        failed(&json_path),
        (
            ErrorKind::Condition,
            "[BODY].status (UP) == DOWN".to_owned()
        )
    );
    let down = p
        .probe(&http(
            "/down",
            &["[STATUS] == 200", "[BODY].status == UP"],
            &|_| {},
        ))
        .await;
    assert_eq!(
        failed(&down),
        (
            ErrorKind::Condition,
            "[STATUS] (503) == 200; [BODY].status (DOWN) == UP".to_owned()
        ),
        "every failing condition, with what was seen"
    );
    let expected_down = p.probe(&http("/down", &["[STATUS] == 503"], &|_| {})).await;
    assert!(
        expected_down.success(),
        "a condition on [STATUS] replaces expected_status: {expected_down:?}"
    );
    let slow = p
        .probe(&http("/slow", &[], &|i| i.degraded_above_ms = Some(5)))
        .await;
    assert!(slow.success(), "{slow:?}");
    assert!(
        slow.degraded()
            .is_some_and(|w| w.starts_with("slow: ") && w.ends_with("ms, above 5 ms")),
        "{slow:?}"
    );
    let fast = p
        .probe(&http("/health", &[], &|i| {
            i.degraded_above_ms = Some(60_000)
        }))
        .await;
    assert_eq!(fast.failure, None, "{fast:?}");
    let no_cert = p
        .probe(&http(
            "/health",
            &["[CERTIFICATE_EXPIRATION] > 1d"],
            &|_| {},
        ))
        .await;
    assert_eq!(
        failed(&no_cert).1,
        "[CERTIFICATE_EXPIRATION] (missing) > 1d",
        "plain http has no certificate"
    );
}

#[tokio::test]
async fn http2_is_negotiated_by_alpn_and_https_keeps_the_certificate_expiry() {
    let ca = TestCa::new();
    let p = Probers::with_roots(ca.roots()).expect("probers");
    let both = ca
        .serve_https(Cert::Valid { days: 50 }, &[b"h2", b"http/1.1"])
        .await;
    let http = |port: u16, h2: bool| {
        let mut input = EndpointInput {
            name: Some("t".into()),
            url: Some(format!("https://localhost:{port}/")),
            timeout_seconds: Some(2.0),
            conditions: conditions(&["[BODY] == pat(over *)"]),
            ..Default::default()
        };
        input.http2 = Some(h2);
        EndpointSpec::create(input).expect("valid spec")
    };

    let h2 = p.attempt(&http(both, true)).await;
    assert!(h2.observation.success(), "{h2:?}");
    assert_eq!(
        h2.conditions[0].shown,
        r#"[BODY] (over HTTP/2) == pat("over *")"#
    );
    assert_eq!(h2.observation.details.protocol.as_deref(), Some("HTTP/2"));
    assert_eq!(days_left(&h2.observation), Some(50));
    let t = h2.observation.timings;
    assert!(t.tls_us.is_some() && t.first_byte_us.is_some(), "{t:?}");

    // Without the option the same server is asked over HTTP/1.1, which is not worth a detail.
    let h1 = p.attempt(&http(both, false)).await;
    assert!(h1.observation.success(), "{h1:?}");
    assert_eq!(
        h1.conditions[0].shown,
        r#"[BODY] (over HTTP/1.1) == pat("over *")"#
    );
    assert_eq!(h1.observation.details.protocol, None);
    assert_eq!(days_left(&h1.observation), Some(50));

    // A server without HTTP/2 fails an HTTP/2 check, saying what ALPN chose.
    let old = ca
        .serve_https(Cert::Valid { days: 50 }, &[b"http/1.1"])
        .await;
    let refused = p.probe(&http(old, true)).await;
    assert_eq!(
        failed(&refused),
        (
            ErrorKind::Other,
            "the server does not speak HTTP/2: ALPN chose http/1.1".to_owned()
        )
    );
    let silent = ca.serve_https(Cert::Valid { days: 50 }, &[]).await;
    let refused = p.probe(&http(silent, true)).await;
    assert!(
        failed(&refused).1.ends_with("ALPN chose nothing"),
        "{refused:?}"
    );
    assert!(
        p.probe(&http(silent, false)).await.success(),
        "HTTP/1.1 needs no ALPN"
    );
}
