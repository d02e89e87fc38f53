//! Endpoint (check) specifications, parsed once at the edge: a value of `EndpointSpec` is always valid.
//! Parsing names the offending field so the CLI and API can point at it.

use crate::ValidationError;
use crate::check::{CheckKind, CheckSpec};
use crate::condition::{self, Condition};
use crate::region::DEFAULT_REGION;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub const MAX_INTERVAL_SECONDS: u32 = 86_400;
pub const DEFAULT_INTERVAL_SECONDS: u32 = 60;
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
pub const DEFAULT_ALERT_THRESHOLD: u32 = 3;
pub const DEFAULT_RECOVERY_THRESHOLD: u32 = 1;
const MAX_THRESHOLD: u32 = 10_000;
const MAX_NAME_LEN: usize = 200;

/// A URL a check may target: absolute http or https with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckUrl(url::Url);

impl CheckUrl {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let url = url::Url::parse(s.trim())
            .map_err(|e| ValidationError::new("url", format!("invalid URL {s:?}: {e}")))?;
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(ValidationError::new(
                    "url",
                    format!("unsupported scheme {other:?} in {s:?}: use http or https"),
                ));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ValidationError::new(
                "url",
                format!("URL {s:?} has no host"),
            ));
        }
        Ok(Self(url))
    }
    pub fn as_url(&self) -> &url::Url {
        &self.0
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// HTTP method of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }
}

impl FromStr for Method {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => {
                return Err(ValidationError::new(
                    "method",
                    format!(
                        "unknown method {s:?}: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS"
                    ),
                ));
            }
        })
    }
}

/// Which HTTP status codes count as success: a list of single codes and inclusive ranges, written
/// `200`, `200-299`, `200,201,301-308`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSpec(Vec<(u16, u16)>);

impl StatusSpec {
    pub fn matches(&self, code: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| (lo..=hi).contains(&code))
    }
}

impl Default for StatusSpec {
    fn default() -> Self {
        Self(vec![(200, 299)])
    }
}

impl FromStr for StatusSpec {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| {
            ValidationError::new(
                "expected_status",
                format!("invalid status spec {s:?}: {why} (examples: 200, 200-299, 200,201)"),
            )
        };
        let code = |part: &str| -> Result<u16, ValidationError> {
            let n: u16 = part
                .trim()
                .parse()
                .map_err(|_| bad(&format!("{:?} is not a status code", part.trim())))?;
            if (100..=599).contains(&n) {
                Ok(n)
            } else {
                Err(bad(&format!("{n} is outside 100-599")))
            }
        };
        let mut ranges = Vec::new();
        for part in s.split(',') {
            if part.trim().is_empty() {
                return Err(bad("empty entry"));
            }
            let range = match part.split_once('-') {
                Some((lo, hi)) => {
                    let (lo, hi) = (code(lo)?, code(hi)?);
                    if lo > hi {
                        return Err(bad(&format!("range {lo}-{hi} is reversed")));
                    }
                    (lo, hi)
                }
                None => {
                    let c = code(part)?;
                    (c, c)
                }
            };
            ranges.push(range);
        }
        Ok(Self(ranges))
    }
}

impl fmt::Display for StatusSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// Header names a check's request may not carry: Beacon frames the request and names the host itself (a second
/// `Content-Length` or `Host` makes a different request than the one shown), and hop-by-hop headers belong to
/// the connection, not the user.
const CHECK_RESERVED: [&str; 9] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "host",
];

/// Header names a webhook may not carry: those of a check, the Standard Webhooks headers Beacon signs with, and
/// the body's content type.
const WEBHOOK_RESERVED: [&str; 4] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
];

/// One request header, parsed from `Name: value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    /// Whether a header of this name carries a credential (Authorization, cookies, tokens, keys, secrets,
    /// passwords): its value is masked wherever it is shown or logged.
    pub fn is_secret_name(name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        [
            "authorization",
            "cookie",
            "token",
            "secret",
            "key",
            "password",
        ]
        .iter()
        .any(|s| n.contains(s))
    }

    /// A header for a check's request: `Name: value`, the name not one Beacon sets itself.
    pub fn for_check(s: &str) -> Result<Self, ValidationError> {
        let h: Header = s.parse()?;
        h.refuse(&CHECK_RESERVED, "a check")?;
        Ok(h)
    }

    /// A header for a webhook's requests: `Name: value`, the name not one Beacon sets itself.
    pub fn for_webhook(s: &str) -> Result<Self, ValidationError> {
        let h: Header = s.parse()?;
        h.refuse(&CHECK_RESERVED, "a webhook")?;
        h.refuse(&WEBHOOK_RESERVED, "a webhook")?;
        Ok(h)
    }

    fn refuse(&self, reserved: &[&str], on: &str) -> Result<(), ValidationError> {
        if reserved.iter().any(|r| self.name.eq_ignore_ascii_case(r)) {
            return Err(ValidationError::new(
                "header",
                format!(
                    "{:?} cannot be set on {on}: Beacon sets it itself (reserved: {})",
                    self.name,
                    reserved.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

impl FromStr for Header {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, value) = s.split_once(':').ok_or_else(|| {
            ValidationError::new(
                "header",
                format!("malformed header {s:?}: expected 'Name: value'"),
            )
        })?;
        let name = name.trim();
        let is_token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(is_token) {
            return Err(ValidationError::new(
                "header",
                format!("malformed header {s:?}: {name:?} is not a valid header name"),
            ));
        }
        let value = value.trim();
        if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
            return Err(ValidationError::new(
                "header",
                format!("malformed header {s:?}: value contains a control character"),
            ));
        }
        Ok(Header {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// Everything needed to run one check, validated as a whole (e.g. the timeout fits the interval): what every
/// kind shares here, the kind's own settings in `check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSpec {
    pub name: String,
    pub check: CheckSpec,
    pub interval_seconds: u32,
    pub timeout_ms: u32,
    pub alert_threshold: u32,
    pub recovery_threshold: u32,
    pub enabled: bool,
    /// Seed 002's per-check alert target; delivered by the notification engine.
    pub webhook_url: Option<CheckUrl>,
    /// Where it is checked from: each region is its own stream of slots. Never empty, no repeats.
    pub regions: Vec<String>,
    /// How many regions must each see `alert_threshold` consecutive failures to open an incident (the quorum).
    pub alert_regions: u32,
    /// What every result must meet besides its kind's own checks; each names only what its kind observes.
    pub conditions: Vec<Condition>,
    /// A check that passes but takes longer than this (milliseconds) is degraded.
    pub degraded_above_ms: Option<u32>,
}

/// Unparsed user input for creating or changing an endpoint. `None` means "not given": on create the default
/// applies, on update the current value stays.
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    pub name: Option<String>,
    pub url: Option<String>,
    pub method: Option<String>,
    pub interval_seconds: Option<i64>,
    pub timeout_seconds: Option<f64>,
    pub expected_status: Option<String>,
    pub headers: Option<Vec<String>>,
    pub body: Option<String>,
    pub alert_threshold: Option<i64>,
    pub recovery_threshold: Option<i64>,
    pub expect_body_contains: Option<String>,
    pub follow_redirects: Option<bool>,
    /// http: speak HTTP/2 (https only, negotiated by ALPN).
    pub http2: Option<bool>,
    pub enabled: Option<bool>,
    /// Empty string clears it.
    pub webhook_url: Option<String>,
    /// Region names; an empty list means the default region.
    pub regions: Option<Vec<String>>,
    pub alert_regions: Option<i64>,
    /// The check's kind: http (the default), tcp, dns or tls. Fixed once made.
    pub kind: Option<String>,
    /// host:port for tcp and tls checks; the name looked up for dns checks.
    pub target: Option<String>,
    pub record_type: Option<String>,
    /// A DNS server as host[:port]; empty: the system's resolver.
    pub dns_server: Option<String>,
    /// Expected DNS answers, or substrings a TCP target must send back.
    pub expect: Option<Vec<String>>,
    pub send: Option<String>,
    pub tls: Option<bool>,
    pub sni: Option<String>,
    pub cert_fail_days: Option<i64>,
    pub cert_warn_days: Option<i64>,
    /// Conditions every result must meet (replacing the earlier list; empty clears it).
    pub conditions: Option<Vec<String>>,
    /// `$.path` into a JSON body with the value it must equal: a condition `[BODY].path == value`.
    pub expect_json_path: Option<String>,
    pub equals: Option<String>,
    /// Milliseconds above which a passing check is degraded; 0 clears it.
    pub degraded_above_ms: Option<i64>,
}

fn parse_name(name: &str) -> Result<String, ValidationError> {
    // The limit applies to the name as given (as the API schema's maxLength does), before trimming.
    let too_long = name.chars().count() > MAX_NAME_LEN;
    let name = name.trim();
    if name.is_empty() {
        return Err(ValidationError::new("name", "must not be empty"));
    }
    if too_long {
        return Err(ValidationError::new(
            "name",
            format!("longer than {MAX_NAME_LEN} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// Service and endpoint names share the same rule.
pub fn validate_name(name: &str) -> Result<String, ValidationError> {
    parse_name(name)
}

fn parse_threshold(field: &'static str, n: i64) -> Result<u32, ValidationError> {
    if (1..=i64::from(MAX_THRESHOLD)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(ValidationError::new(
            field,
            format!("{n} is outside 1..{MAX_THRESHOLD}"),
        ))
    }
}

fn parse_interval(n: i64) -> Result<u32, ValidationError> {
    if (1..=i64::from(MAX_INTERVAL_SECONDS)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(ValidationError::new(
            "interval",
            format!("{n} seconds is outside 1..{MAX_INTERVAL_SECONDS}"),
        ))
    }
}

fn parse_timeout(seconds: f64) -> Result<u32, ValidationError> {
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(ValidationError::new(
            "timeout",
            format!("{seconds} must be greater than 0"),
        ));
    }
    let ms = (seconds * 1000.0).round();
    if ms < 1.0 || ms > f64::from(MAX_INTERVAL_SECONDS) * 1000.0 {
        return Err(ValidationError::new(
            "timeout",
            format!("{seconds} seconds is out of range"),
        ));
    }
    Ok(ms as u32)
}

/// At most this many regions per endpoint.
pub const MAX_REGIONS: usize = 16;

/// Region names as given (comma lists are split too): trimmed, valid, without repeats, in the order given;
/// none at all means the default region.
fn parse_regions(given: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::new();
    for name in given.iter().flat_map(|g| g.split(',')) {
        if name.trim().is_empty() {
            continue;
        }
        let name = crate::region::validate_name(name)
            .map_err(|e| ValidationError::new("regions", e.message))?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    if out.is_empty() {
        out.push(DEFAULT_REGION.to_owned());
    }
    if out.len() > MAX_REGIONS {
        return Err(ValidationError::new(
            "regions",
            format!("{} regions; at most {MAX_REGIONS}", out.len()),
        ));
    }
    Ok(out)
}

impl EndpointSpec {
    /// Build a new spec from input, applying defaults for what was not given.
    pub fn create(input: EndpointInput) -> Result<Self, ValidationError> {
        let name = input
            .name
            .as_deref()
            .ok_or_else(|| ValidationError::new("name", "is required"))?;
        let name = parse_name(name)?;
        let kind = match input.kind.as_deref() {
            Some(k) => CheckKind::parse(k)?,
            None => CheckKind::Http,
        };
        let check = CheckSpec::create(kind, &input)?;
        let interval_seconds = parse_interval(
            input
                .interval_seconds
                .unwrap_or(i64::from(DEFAULT_INTERVAL_SECONDS)),
        )?;
        let base = EndpointSpec {
            name,
            check,
            interval_seconds,
            timeout_ms: DEFAULT_TIMEOUT_MS.min(interval_seconds * 1000),
            alert_threshold: DEFAULT_ALERT_THRESHOLD,
            recovery_threshold: DEFAULT_RECOVERY_THRESHOLD,
            enabled: true,
            webhook_url: None,
            regions: vec![DEFAULT_REGION.to_owned()],
            alert_regions: 1,
            conditions: Vec::new(),
            degraded_above_ms: None,
        };
        // The check already has the kind's fields; the rest of the input applies to the common ones.
        base.apply_common(EndpointInput {
            name: None,
            interval_seconds: None,
            ..input
        })
    }

    /// A copy with the given changes applied, validated as a whole.
    pub fn apply(&self, input: EndpointInput) -> Result<Self, ValidationError> {
        if let Some(k) = &input.kind
            && CheckKind::parse(k)? != self.check.kind()
        {
            return Err(ValidationError::new(
                "kind",
                format!(
                    "a check's kind cannot change (this one is {}); make a new endpoint",
                    self.check.kind().as_str()
                ),
            ));
        }
        let check = self.check.apply(&input)?;
        let mut next = self.apply_common(input)?;
        next.check = check;
        Ok(next)
    }

    /// The fields every kind shares, and the checks across them.
    fn apply_common(&self, input: EndpointInput) -> Result<Self, ValidationError> {
        let mut next = self.clone();
        if let Some(name) = input.name {
            next.name = parse_name(&name)?;
        }
        if let Some(interval) = input.interval_seconds {
            next.interval_seconds = parse_interval(interval)?;
        }
        if let Some(timeout) = input.timeout_seconds {
            next.timeout_ms = parse_timeout(timeout)?;
        }
        if let Some(n) = input.alert_threshold {
            next.alert_threshold = parse_threshold("alert_threshold", n)?;
        }
        if let Some(n) = input.recovery_threshold {
            next.recovery_threshold = parse_threshold("recovery_threshold", n)?;
        }
        if let Some(b) = input.enabled {
            next.enabled = b;
        }
        if let Some(url) = input.webhook_url {
            next.webhook_url = if url.trim().is_empty() {
                None
            } else {
                Some(
                    CheckUrl::parse(&url)
                        .map_err(|e| ValidationError::new("webhook_url", e.message))?,
                )
            };
        }
        if let Some(regions) = input.regions {
            next.regions = parse_regions(&regions)?;
        }
        if let Some(n) = input.alert_regions {
            next.alert_regions = parse_threshold("alert_regions", n)?;
        }
        if let Some(ms) = input.degraded_above_ms {
            next.degraded_above_ms = match ms {
                0 => None,
                1..=86_400_000 => Some(ms as u32),
                _ => {
                    return Err(ValidationError::new(
                        "degraded_above_ms",
                        "must be 1..86400000 milliseconds, or 0 to clear it",
                    ));
                }
            };
        }
        if let Some(texts) = &input.conditions {
            next.conditions = condition::parse_all(texts)?;
        }
        match (&input.expect_json_path, &input.equals) {
            (Some(path), Some(value)) => next.conditions.push(json_path_condition(path, value)?),
            (None, None) => {}
            (Some(_), None) => {
                return Err(ValidationError::new(
                    "equals",
                    "give the value expect_json_path must equal",
                ));
            }
            (None, Some(_)) => {
                return Err(ValidationError::new(
                    "expect_json_path",
                    "give the JSON path ($.status) that must equal it",
                ));
            }
        }
        let kind = next.check.kind();
        for c in &next.conditions {
            if let Some(p) = c.placeholders().into_iter().find(|p| !kind.produces(*p)) {
                return Err(ValidationError::new(
                    "conditions",
                    format!("{c}: {} has no [{}]", kind.a_check(), p.as_str()),
                ));
            }
        }
        if next.alert_regions as usize > next.regions.len() {
            return Err(ValidationError::new(
                "alert_regions",
                format!(
                    "{} is more than the number of regions the endpoint is checked from ({}: {})",
                    next.alert_regions,
                    next.regions.len(),
                    next.regions.join(", ")
                ),
            ));
        }
        if next.timeout_ms > next.interval_seconds * 1000 {
            return Err(ValidationError::new(
                "timeout",
                format!(
                    "{} seconds is greater than the interval ({} seconds)",
                    f64::from(next.timeout_ms) / 1000.0,
                    next.interval_seconds
                ),
            ));
        }
        Ok(next)
    }

    pub fn interval_ms(&self) -> i64 {
        i64::from(self.interval_seconds) * 1000
    }
}

/// `$.a.b[0]` with its value as the condition `[BODY].a.b[0] == value`.
fn json_path_condition(path: &str, value: &str) -> Result<Condition, ValidationError> {
    let path = path.trim();
    let Some(rest) = path.strip_prefix('$') else {
        return Err(ValidationError::new(
            "expect_json_path",
            format!("{path:?} must start with $, e.g. $.status"),
        ));
    };
    let value = condition::Literal::Text(value.to_owned());
    Condition::parse(&format!("[BODY]{rest} == {value}")).map_err(|e| {
        ValidationError::new(
            "expect_json_path",
            format!("{path:?} is not a path like $.data.items[0].state ({e})"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_limited_as_given() {
        assert_eq!(validate_name("  api  "), Ok("api".to_owned()));
        assert!(validate_name(" \t ").is_err());
        let at_limit = "x".repeat(200);
        assert_eq!(validate_name(&at_limit), Ok(at_limit.clone()));
        // 201 characters as given, 200 once trimmed: refused, as the API schema's maxLength says.
        let err = validate_name(&format!("\t{at_limit}")).expect_err("too long");
        assert!(err.to_string().contains("longer than 200"), "{err}");
        assert!(validate_name(&"é".repeat(201)).is_err());
    }

    fn input(url: &str) -> EndpointInput {
        EndpointInput {
            name: Some("Health".into()),
            url: Some(url.into()),
            ..Default::default()
        }
    }

    #[test]
    fn regions_default_split_dedupe_and_bound_the_quorum() {
        let spec = EndpointSpec::create(input("http://a")).expect("valid");
        assert_eq!(
            (spec.regions.clone(), spec.alert_regions),
            (vec!["default".to_owned()], 1)
        );
        let spec = spec
            .apply(EndpointInput {
                regions: Some(vec!["eu-west, us-east".into(), "eu-west".into()]),
                alert_regions: Some(2),
                ..Default::default()
            })
            .expect("valid");
        assert_eq!(spec.regions, ["eu-west", "us-east"]);
        assert_eq!(spec.alert_regions, 2);
        let err = spec
            .apply(EndpointInput {
                regions: Some(vec!["eu-west".into()]),
                ..Default::default()
            })
            .expect_err("quorum of 2 over one region");
        assert_eq!(err.field, "alert_regions");
        assert!(err.message.contains("eu-west"), "{err}");
        let err = spec
            .apply(EndpointInput {
                regions: Some(vec!["EU West".into()]),
                ..Default::default()
            })
            .expect_err("bad name");
        assert_eq!(err.field, "regions");
    }

    #[test]
    fn defaults_follow_the_contract() {
        let spec = EndpointSpec::create(input("http://127.0.0.1:9000/health")).expect("valid");
        let http = spec.check.as_http().expect("an http check");
        assert_eq!(http.method, Method::Get);
        assert_eq!(spec.interval_seconds, 60);
        assert_eq!(spec.timeout_ms, 10_000);
        assert_eq!(http.expected_status.to_string(), "200-299");
        assert_eq!((spec.alert_threshold, spec.recovery_threshold), (3, 1));
        assert!(http.follow_redirects && spec.enabled);
        // default timeout is the smaller of 10 s and the interval
        let short = EndpointSpec::create(EndpointInput {
            interval_seconds: Some(4),
            ..input("https://example.com")
        })
        .expect("valid");
        assert_eq!(short.timeout_ms, 4_000);
    }

    #[test]
    fn bad_inputs_name_their_field() {
        let cases: Vec<(EndpointInput, &str)> = vec![
            (input("ftp://example.com"), "url"),
            (input("not a url"), "url"),
            (input("http://"), "url"),
            (
                EndpointInput {
                    interval_seconds: Some(0),
                    ..input("http://a")
                },
                "interval",
            ),
            (
                EndpointInput {
                    interval_seconds: Some(86_401),
                    ..input("http://a")
                },
                "interval",
            ),
            (
                EndpointInput {
                    timeout_seconds: Some(0.0),
                    ..input("http://a")
                },
                "timeout",
            ),
            (
                EndpointInput {
                    timeout_seconds: Some(-1.0),
                    ..input("http://a")
                },
                "timeout",
            ),
            (
                EndpointInput {
                    interval_seconds: Some(5),
                    timeout_seconds: Some(6.0),
                    ..input("http://a")
                },
                "timeout",
            ),
            (
                EndpointInput {
                    expected_status: Some("abc".into()),
                    ..input("http://a")
                },
                "expected_status",
            ),
            (
                EndpointInput {
                    expected_status: Some("299-200".into()),
                    ..input("http://a")
                },
                "expected_status",
            ),
            (
                EndpointInput {
                    expected_status: Some("700".into()),
                    ..input("http://a")
                },
                "expected_status",
            ),
            (
                EndpointInput {
                    headers: Some(vec!["NoColon".into()]),
                    ..input("http://a")
                },
                "header",
            ),
            (
                EndpointInput {
                    headers: Some(vec!["Bad Name: v".into()]),
                    ..input("http://a")
                },
                "header",
            ),
            (
                EndpointInput {
                    method: Some("FETCH".into()),
                    ..input("http://a")
                },
                "method",
            ),
            (
                EndpointInput {
                    alert_threshold: Some(0),
                    ..input("http://a")
                },
                "alert_threshold",
            ),
            (
                EndpointInput {
                    name: Some("  ".into()),
                    ..input("http://a")
                },
                "name",
            ),
        ];
        for (input, field) in cases {
            let err =
                EndpointSpec::create(input.clone()).expect_err(&format!("{input:?} must fail"));
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn status_specs_parse_and_print() {
        let spec: StatusSpec = "200, 201,301-308".parse().expect("valid");
        assert_eq!(spec.to_string(), "200,201,301-308");
        assert!(spec.matches(201) && spec.matches(304) && !spec.matches(202) && !spec.matches(500));
    }

    #[test]
    fn headers_beacon_sets_itself_are_refused() {
        for name in [
            "Content-Length",
            "transfer-encoding",
            "HOST",
            "Connection",
            "Upgrade",
        ] {
            let err = Header::for_check(&format!("{name}: 1")).expect_err(name);
            assert_eq!(err.field, "header");
            assert!(err.message.contains(name), "{err}");
            assert!(
                Header::for_webhook(&format!("{name}: 1")).is_err(),
                "{name}"
            );
        }
        for name in [
            "webhook-id",
            "Webhook-Signature",
            "webhook-timestamp",
            "Content-Type",
        ] {
            let err = Header::for_webhook(&format!("{name}: x")).expect_err(name);
            assert!(err.message.contains(name), "{err}");
        }
        assert!(Header::for_check("Content-Type: application/json").is_ok());
        assert!(Header::for_check("Authorization: Bearer x").is_ok());
        assert!(Header::for_webhook("X-Api-Key: k").is_ok());
        let err = EndpointSpec::create(EndpointInput {
            headers: Some(vec!["Host: evil.example".into()]),
            ..input("http://a")
        })
        .expect_err("a check with its own Host");
        assert_eq!(err.field, "header");
    }

    #[test]
    fn decimal_timeouts_and_updates() {
        let spec = EndpointSpec::create(EndpointInput {
            timeout_seconds: Some(0.25),
            headers: Some(vec!["X-Token: a:b".into()]),
            ..input("http://a")
        })
        .expect("valid");
        assert_eq!(spec.timeout_ms, 250);
        assert_eq!(
            spec.check.as_http().expect("http").headers[0],
            Header {
                name: "X-Token".into(),
                value: "a:b".into()
            }
        );
        let off = spec
            .apply(EndpointInput {
                enabled: Some(false),
                ..Default::default()
            })
            .expect("valid");
        assert!(!off.enabled);
        assert_eq!(off.timeout_ms, 250, "unchanged fields stay");
        // shrinking the interval below the timeout is refused
        let err = EndpointSpec::create(input("http://a"))
            .expect("valid")
            .apply(EndpointInput {
                interval_seconds: Some(5),
                ..Default::default()
            })
            .expect_err("timeout 10 s > interval 5 s");
        assert_eq!(err.field, "timeout");
    }
}
