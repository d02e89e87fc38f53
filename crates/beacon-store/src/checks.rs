//! Check kinds as stored: a `kind` column and the kind's settings as one JSON object in `config` (migration
//! 0009). One stored shape per kind, of the same form as `beacon_core::check`'s modules; this is the database's
//! format, not a wire shape, and changes only with a migration.

use crate::Result;
use crate::error::corrupt;
use beacon_core::check::{CheckKind, CheckSpec, HttpSpec};
use beacon_core::endpoint::{CheckUrl, Header};
use serde::{Deserialize, Serialize};

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
}

/// The `kind` and `config` columns of a check.
pub(crate) fn to_columns(check: &CheckSpec) -> Result<(&'static str, String)> {
    let config = match check {
        CheckSpec::Http(h) => serde_json::to_string(&StoredHttp {
            url: h.url.as_str().to_owned(),
            method: h.method.as_str().to_owned(),
            expected_status: h.expected_status.to_string(),
            headers: h.headers.clone(),
            body: h.body.clone(),
            expect_body_contains: h.expect_body_contains.clone(),
            follow_redirects: h.follow_redirects,
        }),
    }
    .map_err(corrupt)?;
    Ok((check.kind().as_str(), config))
}

/// A check from its `kind` and `config` columns.
pub(crate) fn from_columns(kind: &str, config: &str) -> Result<CheckSpec> {
    match CheckKind::parse(kind).map_err(corrupt)? {
        CheckKind::Http => {
            let s: StoredHttp = serde_json::from_str(config).map_err(corrupt)?;
            Ok(CheckSpec::Http(HttpSpec {
                url: CheckUrl::parse(&s.url).map_err(corrupt)?,
                method: s.method.parse().map_err(corrupt)?,
                expected_status: s.expected_status.parse().map_err(corrupt)?,
                headers: s.headers,
                body: s.body,
                expect_body_contains: s.expect_body_contains,
                follow_redirects: s.follow_redirects,
            }))
        }
    }
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
            ..Default::default()
        })
        .expect("valid");
        let (kind, config) = to_columns(&spec.check).expect("columns");
        assert_eq!(kind, "http");
        assert_eq!(from_columns(kind, &config).expect("decodes"), spec.check);
        for (kind, config) in [
            ("tcp", config.as_str()),
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
