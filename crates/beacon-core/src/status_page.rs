//! Public status pages and badges: what a page shows (validated here, pure), the overall status of a set of
//! monitors, and badge keys.

use crate::ValidationError;
use uuid::Uuid;

pub const MAX_SERVICES: usize = 50;
pub const MAX_DESCRIPTION: usize = 2_000;

/// A status page: its address (`/status/<slug>`), what it says, which services it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPageSpec {
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Whether the page may show the checked URLs (off by default: a public page shows names and statuses only).
    pub show_urls: bool,
    /// In the order shown.
    pub services: Vec<Uuid>,
}

/// Fields to set; absent ones take defaults on create and stay on change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusPageInput {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub show_urls: Option<bool>,
    pub services: Option<Vec<Uuid>>,
}

impl StatusPageSpec {
    pub fn create(input: StatusPageInput) -> Result<Self, ValidationError> {
        let base = Self {
            slug: String::new(),
            title: String::new(),
            description: String::new(),
            show_urls: false,
            services: Vec::new(),
        };
        base.apply(StatusPageInput {
            slug: Some(input.slug.unwrap_or_default()),
            title: Some(input.title.unwrap_or_default()),
            services: Some(input.services.unwrap_or_default()),
            ..input
        })
    }

    /// A copy with the changes applied, validated as a whole.
    pub fn apply(&self, input: StatusPageInput) -> Result<Self, ValidationError> {
        let mut next = self.clone();
        if let Some(slug) = input.slug {
            next.slug = crate::heartbeat::validate_slug(slug.trim())?;
        }
        if let Some(title) = input.title {
            let title = title.trim();
            if title.is_empty() || title.chars().count() > 200 {
                return Err(ValidationError::new("title", "must be 1 to 200 characters"));
            }
            next.title = title.to_owned();
        }
        if let Some(d) = input.description {
            if d.len() > MAX_DESCRIPTION {
                return Err(ValidationError::new(
                    "description",
                    format!("at most {MAX_DESCRIPTION} bytes"),
                ));
            }
            next.description = d.trim().to_owned();
        }
        if let Some(b) = input.show_urls {
            next.show_urls = b;
        }
        if let Some(services) = input.services {
            let mut seen = Vec::with_capacity(services.len());
            for s in services {
                if !seen.contains(&s) {
                    seen.push(s);
                }
            }
            if seen.is_empty() {
                return Err(ValidationError::new("service", "name at least one service"));
            }
            if seen.len() > MAX_SERVICES {
                return Err(ValidationError::new(
                    "service",
                    format!("at most {MAX_SERVICES} services on a page"),
                ));
            }
            next.services = seen;
        }
        Ok(next)
    }
}

/// How a set of monitors is doing, as a status page's banner says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overall {
    /// Every monitor is up (paused and not-yet-checked ones do not count).
    Operational,
    /// Some are down or failing, not all.
    Degraded,
    /// All the monitors that count are down.
    Outage,
}

impl Overall {
    /// From each monitor's status group (`up`, `down`, `degraded`, `paused`, `unknown`).
    pub fn of<'a>(groups: impl IntoIterator<Item = &'a str>) -> Self {
        let (mut counted, mut down, mut bad) = (0, 0, 0);
        for g in groups {
            match g {
                "up" => counted += 1,
                "down" => {
                    counted += 1;
                    down += 1;
                    bad += 1;
                }
                "degraded" => {
                    counted += 1;
                    bad += 1;
                }
                _ => {}
            }
        }
        match (bad, down) {
            (0, _) => Overall::Operational,
            (_, d) if d == counted => Overall::Outage,
            _ => Overall::Degraded,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Overall::Operational => "operational",
            Overall::Degraded => "degraded",
            Overall::Outage => "outage",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Overall::Operational => "All systems operational",
            Overall::Degraded => "Some systems are having problems",
            Overall::Outage => "Major outage",
        }
    }
}

/// A checked URL as a public page may show it: scheme, host, port and path — never credentials, query or
/// fragment (they may carry secrets).
pub fn shown_url(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// A badge key: `bdg_` and 32 hex digits from 16 random bytes. It names a monitor in public badge URLs without
/// its id; revoked by replacing it.
pub fn badge_key(random: [u8; 16]) -> String {
    let mut out = String::from("bdg_");
    for b in random {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Whether `s` has a badge key's shape (checked before any lookup).
pub fn is_badge_key(s: &str) -> bool {
    s.strip_prefix("bdg_")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_needs_a_slug_a_title_and_services() {
        let s = Uuid::new_v4();
        let ok = StatusPageSpec::create(StatusPageInput {
            slug: Some("shop".into()),
            title: Some(" Shop status ".into()),
            services: Some(vec![s, s]),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(
            (ok.title.as_str(), ok.services.len(), ok.show_urls),
            ("Shop status", 1, false)
        );
        for (input, field) in [
            (
                StatusPageInput {
                    slug: Some("Bad Slug".into()),
                    ..Default::default()
                },
                "slug",
            ),
            (
                StatusPageInput {
                    title: Some("".into()),
                    ..Default::default()
                },
                "title",
            ),
            (
                StatusPageInput {
                    services: Some(vec![]),
                    ..Default::default()
                },
                "service",
            ),
        ] {
            assert_eq!(ok.apply(input).expect_err("refused").field, field);
        }
        let err = StatusPageSpec::create(StatusPageInput {
            slug: Some("x".into()),
            title: Some("X".into()),
            ..Default::default()
        })
        .expect_err("no services");
        assert_eq!(err.field, "service");
    }

    #[test]
    fn overall_counts_what_is_checked() {
        assert_eq!(
            Overall::of(["up", "paused", "unknown"]),
            Overall::Operational
        );
        assert_eq!(Overall::of(["up", "down"]), Overall::Degraded);
        assert_eq!(Overall::of(["up", "degraded"]), Overall::Degraded);
        assert_eq!(Overall::of(["down", "paused"]), Overall::Outage);
        assert_eq!(Overall::of([]), Overall::Operational);
    }

    #[test]
    fn shown_urls_leave_secrets_out() {
        let u =
            url::Url::parse("https://user:pw@example.com:8443/health?token=s3cret#x").expect("url");
        assert_eq!(shown_url(&u), "https://example.com:8443/health");
    }

    #[test]
    fn badge_keys_have_one_shape() {
        let k = badge_key([0xab; 16]);
        assert!(is_badge_key(&k), "{k}");
        assert!(!is_badge_key("bdg_xyz") && !is_badge_key(&Uuid::new_v4().to_string()));
    }
}
