//! Migrations keep data: a database at the schema before check kinds (0008) with an HTTP endpoint in the old
//! columns reads back, after the store opens it (and applies 0009), as the same check; a heartbeat and service
//! made before ping URLs (0010) get a secret ping URL and a ping key.

use beacon_core::check::CheckSpec;
use beacon_store::{Channels, PostgresStore, SqliteStore, Store, Webhooks};
use sqlx::migrate::Migrator;
use std::path::{Path, PathBuf};

/// A migrations directory with the first `n` of `dialect`'s migrations.
fn first_migrations(dialect: &str, n: usize) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let dir = std::env::temp_dir().join(format!("beacon-migrations-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut files: Vec<_> = std::fs::read_dir(&src)
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files.iter().take(n) {
        std::fs::copy(f, dir.join(f.file_name().expect("name"))).expect("copy");
    }
    dir
}

const SERVICE: &str = "INSERT INTO services (id, name, description, created_at, updated_at) \
     VALUES ($1, 'shop', '', 1000, 1000)";
const ENDPOINT: &str = "INSERT INTO endpoints (id, service_pk, name, url, method, interval_seconds, timeout_ms, \
     expected_status, headers, body, alert_threshold, recovery_threshold, expect_body_contains, follow_redirects, \
     enabled, created_at, updated_at, webhook_url) VALUES ($1, (SELECT pk FROM services), 'api', \
     'https://example.com/health?x=1', 'POST', 30, 2500, '200,201,301-308', \
     '[{\"name\":\"X-Token\",\"value\":\"a:b\"}]', '{\"ping\":1}', 4, 2, 'ok', $2, $3, 1000, 1000, NULL)";

const HEARTBEAT: &str = "INSERT INTO heartbeats (id, service_pk, slug, name, period_seconds, grace_seconds, \
     key_hash, status, created_at, updated_at) VALUES ($1, (SELECT pk FROM services), 'nightly', 'nightly', 60, 30, \
     $2, 'new', 1000, 1000)";

/// Migrate `$pool` to 0008 (`$dialect`'s first eight migrations), store a service and an HTTP endpoint in the
/// old columns, close the pool; the endpoint's id. (A macro: the two pools are different types.)
macro_rules! at_0008 {
    ($pool:expr, $dialect:literal) => {{
        let old = Migrator::new(first_migrations($dialect, 8))
            .await
            .expect("migrator");
        old.run(&$pool).await.expect("migrate to 0008");
        let (service, id) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        sqlx::query(SERVICE)
            .bind(service)
            .execute(&$pool)
            .await
            .expect("service");
        sqlx::query(ENDPOINT)
            .bind(id)
            .bind(false)
            .bind(true)
            .execute(&$pool)
            .await
            .expect("endpoint");
        sqlx::query(HEARTBEAT)
            .bind(uuid::Uuid::new_v4())
            .bind(vec![7u8; 32])
            .execute(&$pool)
            .await
            .expect("heartbeat");
        $pool.close().await;
        id
    }};
}

async fn assert_preserved(store: &dyn Store, id: uuid::Uuid) {
    let e = store.get_endpoint(id).await.expect("endpoint after 0009");
    assert_eq!(
        (
            e.spec.name.as_str(),
            e.spec.interval_seconds,
            e.spec.timeout_ms
        ),
        ("api", 30, 2500)
    );
    assert_eq!((e.spec.alert_threshold, e.spec.recovery_threshold), (4, 2));
    assert!(e.spec.enabled);
    let CheckSpec::Http(h) = &e.spec.check else {
        panic!("an http check: {:?}", e.spec.check)
    };
    assert_eq!(h.url.as_str(), "https://example.com/health?x=1");
    assert_eq!(h.method.as_str(), "POST");
    assert_eq!(h.expected_status.to_string(), "200,201,301-308");
    assert_eq!(
        (h.headers[0].name.as_str(), h.headers[0].value.as_str()),
        ("X-Token", "a:b")
    );
    assert_eq!(h.body.as_deref(), Some("{\"ping\":1}"));
    assert_eq!(h.expect_body_contains.as_deref(), Some("ok"));
    assert!(!h.follow_redirects);
    // 0010: ping URLs for what existed before.
    let hbs = store
        .list_heartbeats(None, beacon_store::Page::default())
        .await
        .expect("heartbeats")
        .items;
    let hb = &hbs[0];
    assert_ne!(hb.ping_secret, hb.id);
    assert_eq!(hb.ping_secret.get_version_num(), 4);
    assert_eq!(
        store
            .heartbeat_for_ping_url(hb.ping_secret, 2000)
            .await
            .expect("lookup"),
        Some(hb.id)
    );
    let key = store
        .service_ping_key(hb.service_id)
        .await
        .expect("ping key");
    assert_eq!(key.len(), 22, "{key}");
    assert_eq!(
        store
            .heartbeat_for_ping_slug(&key, "nightly")
            .await
            .expect("slug"),
        Some((hb.service_id, Some(hb.id)))
    );
}

#[tokio::test]
async fn sqlite_http_columns_move_into_config() {
    let path = std::env::temp_dir()
        .join(format!("beacon-migrate-{}", uuid::Uuid::new_v4()))
        .join("beacon.db");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .expect("open");
    let id = at_0008!(pool, "sqlite");
    let store = SqliteStore::open(&path).await.expect("open with 0009");
    assert_preserved(&store, id).await;
}

#[tokio::test]
async fn postgres_http_columns_move_into_config() {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&crate::postgres_url())
        .await
        .expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("schema");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(
            crate::postgres_url()
                .parse::<sqlx::postgres::PgConnectOptions>()
                .expect("url")
                .options([("search_path", schema.as_str())]),
        )
        .await
        .expect("connect to schema");
    let id = at_0008!(pool, "postgres");
    let store = PostgresStore::open(&crate::postgres_url(), Some(&schema))
        .await
        .expect("open with 0009");
    assert_preserved(&store, id).await;
}

/// 0018 rebuilds SQLite's `webhooks` table (a channel may belong to no service): a webhook with its delivery
/// and attempt made before it keeps them all, and still receives its service's events.
#[tokio::test]
async fn sqlite_webhooks_become_channels_with_their_deliveries() {
    let path = std::env::temp_dir()
        .join(format!("beacon-migrate-{}", uuid::Uuid::new_v4()))
        .join("beacon.db");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .expect("open");
    Migrator::new(first_migrations("sqlite", 17))
        .await
        .expect("migrator")
        .run(&pool)
        .await
        .expect("migrate to 0017");
    let (service, hook, delivery) = (
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
    );
    for (sql, id) in [
        (SERVICE, service),
        (
            "INSERT INTO webhooks (id, service_pk, url, events, secret, headers, created_at, updated_at) \
             VALUES ($1, 1, 'https://hooks.example.com/b', ',incident_start,', \
             'whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz', '[]', 1000, 1000)",
            hook,
        ),
        (
            "INSERT INTO events (id, kind, payload, created_at, service_pk) VALUES ($1, 'test', \
             '{\"webhook_id\":\"00000000-0000-0000-0000-000000000000\",\"message\":\"hi\"}', 1000, 1)",
            uuid::Uuid::new_v4(),
        ),
        (
            "INSERT INTO deliveries (id, webhook_pk, event_pk, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, 1, 1, 'failed', 1, 1000, 1000)",
            delivery,
        ),
    ] {
        sqlx::query(sql).bind(id).execute(&pool).await.expect(sql);
    }
    pool.close().await;
    let store = SqliteStore::open(&path).await.expect("open with 0018");
    let hooks = store.list_webhooks(Some(service)).await.expect("webhooks");
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        (hooks[0].id, hooks[0].spec.events.clone()),
        (hook, vec!["incident_start".to_owned()])
    );
    let channel = store
        .get_channel(hook)
        .await
        .expect("the webhook is a channel");
    assert_eq!(channel.kind().as_str(), "webhook");
    assert_eq!(channel.routes.len(), 1);
    let kept = store.get_delivery(delivery).await.expect("delivery kept");
    assert_eq!(kept.delivery.webhook_id, hook);
}
