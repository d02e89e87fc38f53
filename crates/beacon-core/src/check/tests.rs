//! Check kinds made from their own fields: each kind's spec, fields of another kind refused by name, conditions
//! checked against the placeholders a kind produces, JSON-path expectations as conditions, escapes.

use super::*;
use crate::endpoint::{EndpointInput, EndpointSpec};

fn input(kind: &str) -> EndpointInput {
    EndpointInput {
        name: Some("c".into()),
        kind: Some(kind.into()),
        ..Default::default()
    }
}

#[test]
fn each_kind_is_made_from_its_own_fields() {
    let tcp = EndpointSpec::create(EndpointInput {
        target: Some("db.internal:5432".into()),
        send: Some("PING\\r\\n".into()),
        expect: Some(vec!["PONG".into()]),
        ..input("tcp")
    })
    .expect("tcp");
    let CheckSpec::Tcp(t) = &tcp.check else {
        panic!("{tcp:?}")
    };
    assert_eq!(t.target.to_string(), "db.internal:5432");
    assert_eq!(t.send_bytes().as_deref(), Some(&b"PING\r\n"[..]));
    assert_eq!(tcp.check.target(), "tcp://db.internal:5432");

    let dns = EndpointSpec::create(EndpointInput {
        target: Some("Example.COM".into()),
        record_type: Some("mx".into()),
        dns_server: Some("127.0.0.1:5353".into()),
        expect: Some(vec!["10 mail.example.com.".into()]),
        ..input("dns")
    })
    .expect("dns");
    let CheckSpec::Dns(d) = &dns.check else {
        panic!("{dns:?}")
    };
    assert_eq!(
        (
            d.name.as_str(),
            d.record_type,
            d.server.as_ref().map(|s| s.port)
        ),
        ("example.com", RecordType::Mx, Some(5353))
    );
    let any = dns
        .apply(EndpointInput {
            expect: Some(vec!["any".into()]),
            dns_server: Some(String::new()),
            ..Default::default()
        })
        .expect("any");
    let CheckSpec::Dns(d) = &any.check else {
        panic!()
    };
    assert!(d.expect.is_empty() && d.server.is_none());

    let tls = EndpointSpec::create(EndpointInput {
        target: Some("example.com".into()),
        sni: Some("www.example.com".into()),
        ..input("tls")
    })
    .expect("tls");
    let CheckSpec::Tls(t) = &tls.check else {
        panic!()
    };
    assert_eq!(
        (t.target.port, t.server_name(), t.fail_days, t.warn_days),
        (443, "www.example.com", 14, 30)
    );
}

#[test]
fn bad_input_names_its_field() {
    let cases: Vec<(EndpointInput, &str, &str)> = vec![
        (input("ftp"), "kind", "ftp"),
        (
            EndpointInput {
                url: Some("http://x".into()),
                target: Some("x:1".into()),
                ..input("tcp")
            },
            "url",
            "a tcp check has no url; it is for http checks",
        ),
        (
            EndpointInput {
                target: Some("x:1".into()),
                record_type: Some("A".into()),
                ..input("tcp")
            },
            "record_type",
            "for dns checks",
        ),
        (
            EndpointInput {
                url: Some("http://x".into()),
                send: Some("x".into()),
                ..input("http")
            },
            "send",
            "for tcp checks",
        ),
        (input("tcp"), "target", "required"),
        (
            EndpointInput {
                target: Some("x:99999".into()),
                ..input("tcp")
            },
            "target",
            "1..65535",
        ),
        (
            EndpointInput {
                target: Some("example.com".into()),
                record_type: Some("PTRX".into()),
                ..input("dns")
            },
            "record_type",
            "PTRX",
        ),
        (
            EndpointInput {
                target: Some("not a name".into()),
                ..input("dns")
            },
            "target",
            "not a DNS name",
        ),
        (
            EndpointInput {
                target: Some("x:443".into()),
                cert_fail_days: Some(20),
                cert_warn_days: Some(10),
                ..input("tls")
            },
            "cert_warn_days",
            "below cert_fail_days",
        ),
        (
            EndpointInput {
                target: Some("x:1".into()),
                send: Some("\\q".into()),
                ..input("tcp")
            },
            "send",
            "unknown escape",
        ),
        (
            EndpointInput {
                target: Some("x:443".into()),
                conditions: Some(vec!["[STATUS] == 200".into()]),
                ..input("tls")
            },
            "conditions",
            "a tls check has no [STATUS]",
        ),
        (
            EndpointInput {
                url: Some("http://x".into()),
                conditions: Some(vec!["[DNS_RCODE] == NOERROR".into()]),
                ..input("http")
            },
            "conditions",
            "no [DNS_RCODE]",
        ),
        (
            EndpointInput {
                url: Some("http://x".into()),
                conditions: Some(vec!["[STATUS] = 200".into()]),
                ..input("http")
            },
            "conditions",
            "condition 1 \"[STATUS] = 200\": at 10: expected an operator",
        ),
        (
            EndpointInput {
                url: Some("http://x".into()),
                expect_json_path: Some("status".into()),
                equals: Some("UP".into()),
                ..input("http")
            },
            "expect_json_path",
            "must start with $",
        ),
        (
            EndpointInput {
                url: Some("http://x".into()),
                equals: Some("UP".into()),
                ..input("http")
            },
            "expect_json_path",
            "give the JSON path",
        ),
    ];
    for (i, field, says) in cases {
        let e = EndpointSpec::create(i.clone()).expect_err(says);
        assert_eq!(e.field, field, "{e} for {i:?}");
        assert!(e.message.contains(says), "{e}");
    }
    let http = EndpointSpec::create(EndpointInput {
        url: Some("http://x".into()),
        ..input("http")
    })
    .expect("http");
    let e = http
        .apply(EndpointInput {
            kind: Some("tcp".into()),
            ..Default::default()
        })
        .expect_err("kind is fixed");
    assert!(e.message.contains("cannot change"), "{e}");
}

#[test]
fn a_json_path_expectation_is_a_condition() {
    let spec = EndpointSpec::create(EndpointInput {
        url: Some("http://x".into()),
        expect_json_path: Some("$.data.items[0].state".into()),
        equals: Some("all good".into()),
        conditions: Some(vec!["[RESPONSE_TIME] < 300".into()]),
        ..input("http")
    })
    .expect("valid");
    let shown: Vec<String> = spec.conditions.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "[RESPONSE_TIME] < 300",
            "[BODY].data.items[0].state == \"all good\""
        ]
    );
    let cleared = spec
        .apply(EndpointInput {
            conditions: Some(vec![]),
            ..Default::default()
        })
        .expect("clear");
    assert!(cleared.conditions.is_empty());
}

#[test]
fn escapes_make_bytes() {
    assert_eq!(
        unescape("a\\r\\n\\t\\0\\\\\\x7f", "send").expect("ok"),
        b"a\r\n\t\0\\\x7f"
    );
    assert!(unescape("\\xZZ", "send").is_err());
    assert!(unescape(&"x".repeat(1025), "send").is_err());
}

#[test]
fn http2_is_for_https_urls_only() {
    let plain = EndpointSpec::create(EndpointInput {
        url: Some("http://api.example.com/".into()),
        http2: Some(true),
        ..input("http")
    });
    let err = plain.expect_err("cleartext");
    assert_eq!(err.field, "http2");
    assert!(err.message.contains("https"), "{}", err.message);
    let h2 = EndpointSpec::create(EndpointInput {
        url: Some("https://api.example.com/".into()),
        http2: Some(true),
        ..input("http")
    })
    .expect("https");
    assert!(matches!(&h2.check, CheckSpec::Http(h) if h.http2));
    let to_plain = h2.apply(EndpointInput {
        url: Some("http://api.example.com/".into()),
        ..Default::default()
    });
    assert_eq!(to_plain.expect_err("kept http2").field, "http2");
    let off = h2
        .apply(EndpointInput {
            url: Some("http://api.example.com/".into()),
            http2: Some(false),
            ..Default::default()
        })
        .expect("switched off with the URL");
    assert!(matches!(&off.check, CheckSpec::Http(h) if !h.http2));
    let tcp = EndpointSpec::create(EndpointInput {
        target: Some("db:5432".into()),
        http2: Some(true),
        ..input("tcp")
    });
    assert_eq!(tcp.expect_err("not tcp's").field, "http2");
}
