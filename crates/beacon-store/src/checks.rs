//! Check kinds as stored: a `kind` column and the kind's settings as one JSON object in `config` (migration
//! 0009). One stored shape per kind, of the same form as `beacon_core::check`'s modules; this is the database's
//! format, not a wire shape, and changes only with a migration.

use crate::Result;
use crate::error::corrupt;
use beacon_core::check::{
    CheckKind, CheckSpec, DnsSpec, HostPort, HttpSpec, RecordType, TcpSpec, TlsSpec,
};
use beacon_core::condition::Condition;
use beacon_core::endpoint::{CheckUrl, Header};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An HTTP check's `config`.
#[derive(Serialize, Deserialize)]
struct StoredHttp {
    url: String,
    method: String,
    expected_status: String,
    headers: Vec<Header>,
    body: Option<String>,
    expect_body_contains: Option<String>,
    follow_redirects: bool,
    /// Absent in checks stored before HTTP/2 probing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    http2: bool,
}

/// A TCP check's `config`.
#[derive(Serialize, Deserialize)]
struct StoredTcp {
    target: String,
    tls: bool,
    send: Option<String>,
    expect: Vec<String>,
}

/// A DNS check's `config`.
#[derive(Serialize, Deserialize)]
struct StoredDns {
    name: String,
    record_type: String,
    server: Option<String>,
    expect: Vec<String>,
}

/// A TLS check's `config`.
#[derive(Serialize, Deserialize)]
struct StoredTls {
    target: String,
    sni: Option<String>,
    fail_days: u32,
    warn_days: u32,
}

/// The `kind` and `config` columns of a check; its conditions (every kind's) are `config.conditions`, as
/// written, absent when there are none.
pub(crate) fn to_columns(
    check: &CheckSpec,
    conditions: &[Condition],
    degraded_above_ms: Option<u32>,
) -> Result<(&'static str, String)> {
    let mut config = match check {
        CheckSpec::Http(h) => serde_json::to_value(StoredHttp {
            url: h.url.as_str().to_owned(),
            method: h.method.as_str().to_owned(),
            expected_status: h.expected_status.to_string(),
            headers: h.headers.clone(),
            body: h.body.clone(),
            expect_body_contains: h.expect_body_contains.clone(),
            follow_redirects: h.follow_redirects,
            http2: h.http2,
        }),
        CheckSpec::Tcp(t) => serde_json::to_value(StoredTcp {
            target: t.target.to_string(),
            tls: t.tls,
            send: t.send.clone(),
            expect: t.expect.clone(),
        }),
        CheckSpec::Dns(d) => serde_json::to_value(StoredDns {
            name: d.name.clone(),
            record_type: d.record_type.as_str().to_owned(),
            server: d.server.as_ref().map(ToString::to_string),
            expect: d.expect.clone(),
        }),
        CheckSpec::Tls(t) => serde_json::to_value(StoredTls {
            target: t.target.to_string(),
            sni: t.sni.clone(),
            fail_days: t.fail_days,
            warn_days: t.warn_days,
        }),
    }
    .map_err(corrupt)?;
    if !conditions.is_empty()
        && let Value::Object(map) = &mut config
    {
        let texts: Vec<Value> = conditions
            .iter()
            .map(|c| Value::String(c.to_string()))
            .collect();
        map.insert("conditions".into(), Value::Array(texts));
    }
    if let (Some(ms), Value::Object(map)) = (degraded_above_ms, &mut config) {
        map.insert("degraded_above_ms".into(), Value::from(ms));
    }
    Ok((check.kind().as_str(), config.to_string()))
}

/// What every kind's `config` may hold besides the kind's settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Common {
    pub conditions: Vec<Condition>,
    pub degraded_above_ms: Option<u32>,
}

/// A check, its conditions and its latency threshold from its `kind` and `config` columns.
pub(crate) fn from_columns(kind: &str, config: &str) -> Result<(CheckSpec, Common)> {
    let mut value: Value = serde_json::from_str(config).map_err(corrupt)?;
    let degraded_above_ms = match value
        .as_object_mut()
        .and_then(|m| m.remove("degraded_above_ms"))
    {
        None => None,
        Some(v) => Some(serde_json::from_value::<u32>(v).map_err(corrupt)?),
    };
    let conditions = match value.as_object_mut().and_then(|m| m.remove("conditions")) {
        None => Vec::new(),
        Some(list) => serde_json::from_value::<Vec<String>>(list)
            .map_err(corrupt)?
            .iter()
            .map(|t| Condition::parse(t).map_err(|e| corrupt(format!("condition {t:?}: {e}"))))
            .collect::<Result<_>>()?,
    };
    let host = |s: &str, default| HostPort::parse(s, "target", default).map_err(corrupt);
    let check = match CheckKind::parse(kind).map_err(corrupt)? {
        CheckKind::Http => {
            let s: StoredHttp = serde_json::from_value(value).map_err(corrupt)?;
            CheckSpec::Http(HttpSpec {
                url: CheckUrl::parse(&s.url).map_err(corrupt)?,
                method: s.method.parse().map_err(corrupt)?,
                expected_status: s.expected_status.parse().map_err(corrupt)?,
                headers: s.headers,
                body: s.body,
                expect_body_contains: s.expect_body_contains,
                follow_redirects: s.follow_redirects,
                http2: s.http2,
            })
        }
        CheckKind::Tcp => {
            let s: StoredTcp = serde_json::from_value(value).map_err(corrupt)?;
            CheckSpec::Tcp(TcpSpec {
                target: host(&s.target, None)?,
                tls: s.tls,
                send: s.send,
                expect: s.expect,
            })
        }
        CheckKind::Dns => {
            let s: StoredDns = serde_json::from_value(value).map_err(corrupt)?;
            CheckSpec::Dns(DnsSpec {
                name: s.name,
                record_type: RecordType::parse(&s.record_type).map_err(corrupt)?,
                server: s.server.as_deref().map(|v| host(v, Some(53))).transpose()?,
                expect: s.expect,
            })
        }
        CheckKind::Tls => {
            let s: StoredTls = serde_json::from_value(value).map_err(corrupt)?;
            CheckSpec::Tls(TlsSpec {
                target: host(&s.target, Some(443))?,
                sni: s.sni,
                fail_days: s.fail_days,
                warn_days: s.warn_days,
            })
        }
    };
    Ok((
        check,
        Common {
            conditions,
            degraded_above_ms,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_core::endpoint::{EndpointInput, EndpointSpec};

    #[test]
    fn a_check_round_trips_and_bad_columns_are_corrupt() {
        let spec = EndpointSpec::create(EndpointInput {
            name: Some("api".into()),
            url: Some("https://example.com/health".into()),
            method: Some("POST".into()),
            headers: Some(vec!["X-Token: a:b".into()]),
            expect_body_contains: Some("ok".into()),
            follow_redirects: Some(false),
            http2: Some(true),
            ..Default::default()
        })
        .expect("valid");
        let (kind, config) = to_columns(&spec.check, &spec.conditions, None).expect("columns");
        assert_eq!(kind, "http");
        assert_eq!(
            from_columns(kind, &config).expect("decodes"),
            (spec.check.clone(), Common::default())
        );
        for other in [
            EndpointInput {
                kind: Some("tcp".into()),
                target: Some("db:5432".into()),
                tls: Some(true),
                send: Some("PING\\r\\n".into()),
                expect: Some(vec!["PONG".into()]),
                conditions: Some(vec!["[RESPONSE_TIME] < 50ms".into()]),
                degraded_above_ms: Some(250),
                ..Default::default()
            },
            EndpointInput {
                kind: Some("dns".into()),
                target: Some("example.com".into()),
                record_type: Some("AAAA".into()),
                dns_server: Some("[::1]:5353".into()),
                expect: Some(vec!["::1".into()]),
                conditions: Some(vec!["[DNS_RCODE] == NOERROR".into()]),
                ..Default::default()
            },
            EndpointInput {
                kind: Some("tls".into()),
                target: Some("example.com".into()),
                sni: Some("www.example.com".into()),
                cert_fail_days: Some(7),
                ..Default::default()
            },
        ] {
            let spec = EndpointSpec::create(EndpointInput {
                name: Some("x".into()),
                ..other
            })
            .expect("valid");
            let (kind, config) =
                to_columns(&spec.check, &spec.conditions, spec.degraded_above_ms).expect("columns");
            assert_eq!(
                from_columns(kind, &config).expect("decodes"),
                (
                    spec.check.clone(),
                    Common {
                        conditions: spec.conditions.clone(),
                        degraded_above_ms: spec.degraded_above_ms,
                    }
                ),
                "{config}"
            );
        }
        for (kind, config) in [
            ("tcp", config.as_str()),
            (
                "http",
                r#"{"url":"http://x","method":"GET","expected_status":"200","headers":[],"body":null,"expect_body_contains":null,"follow_redirects":true,"conditions":["[STATUS] = 1"]}"#,
            ),
            ("http", "{}"),
            ("http", "not json"),
            (
                "http",
                r#"{"url":"ftp://x","method":"GET","expected_status":"200","headers":[],"body":null,"expect_body_contains":null,"follow_redirects":true}"#,
            ),
        ] {
            assert!(
                matches!(
                    from_columns(kind, config),
                    Err(crate::StoreError::Corrupt(_))
                ),
                "{kind} {config}"
            );
        }
    }
}
