//! The store conformance suite: every test runs against a fresh SQLite file and a fresh PostgreSQL schema
//! (`BEACON_TEST_POSTGRES_URL`, default the local test database).

mod conformance;
mod intake;
mod migrations;

use beacon_store::{PostgresStore, SqliteStore, Store};
use std::sync::Arc;

pub async fn sqlite() -> Arc<dyn Store> {
    let dir = std::env::temp_dir().join(format!("beacon-store-test-{}", uuid::Uuid::new_v4()));
    Arc::new(
        SqliteStore::open(&dir.join("beacon.db"))
            .await
            .expect("open sqlite"),
    )
}

pub fn postgres_url() -> String {
    std::env::var("BEACON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

pub async fn postgres() -> Arc<dyn Store> {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    Arc::new(
        PostgresStore::open(&postgres_url(), Some(&schema))
            .await
            .expect("open postgres (is it running? set BEACON_TEST_POSTGRES_URL)"),
    )
}

/// Expand each conformance test into one test per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::conformance::$name($crate::sqlite().await).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::conformance::$name($crate::postgres().await).await })*
        }
    };
}

both_backends!(
    services_crud_and_guarded_delete,
    endpoints_crud_and_reschedule,
    unknown_ids_are_not_found,
    claims_are_exclusive_and_expire,
    disabled_endpoints_are_not_claimed,
    results_are_stored_once,
    incidents_follow_thresholds_and_write_events,
    manual_resolve_resets_failure_count,
    pings_are_listed_newest_first,
    release_gives_leases_back,
    lists_page_with_cursors,
    tokens_bootstrap_once_and_revoke,
    events_fan_out_to_subscribed_webhooks,
    channels_route_events_of_the_services_they_subscribe,
    channel_names_are_unique_and_kinds_fixed,
    reminders_are_delayed_rows_that_ack_and_resolution_cancel,
    escalation_steps_reach_their_channels_unless_acknowledged,
    a_flapping_endpoint_notifies_once_then_once_when_stable,
    a_flapping_heartbeat_notifies_once_then_once_when_stable,
    a_services_own_flap_rule_decides_and_zero_switches_it_off,
    a_monitor_adds_and_mutes_channels_and_has_its_own_follow_ups,
    degraded_results_start_and_end_degradation_once,
    pings_keep_what_the_check_saw,
    maintenance_holds_incidents_back_until_its_window_ends,
    maintenance_holds_a_heartbeats_incident_until_its_window_ends,
    deliveries_are_claimed_in_order_and_finished_once,
    deliveries_of_different_endpoints_go_out_in_parallel,
    endpoint_webhooks_updates_tests_and_health,
    heartbeats_intake_transitions_and_incidents,
    pausing_a_down_heartbeat_resolves_its_incident,
    deadlines_missed_during_beacons_outage_are_held,
    pausing_a_failing_endpoint_resolves_its_incident,
    rollups_follow_stored_results_once,
    users_sessions_and_the_last_admin,
    tokens_owned_by_users,
    status_pages_and_badge_keys,
    regions_are_named_once,
    leader_leases_have_one_holder,
    incidents_follow_the_regional_quorum,
    worker_tokens_and_reports,
    kube_objects_follow_their_annotation,
    kube_reconciliation_finds_what_was_missed,
    kube_cleanup_keeps_failed_notifications,
);

/// Two instances on one database, as two processes would open it.
mod twins {
    use beacon_store::{PostgresStore, SqliteStore, Store};
    use std::sync::Arc;

    #[tokio::test]
    async fn sqlite_two_instances() {
        let dir = std::env::temp_dir().join(format!("beacon-store-test-{}", uuid::Uuid::new_v4()));
        let path = dir.join("beacon.db");
        let a: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open a"));
        let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open b"));
        super::intake::two_instances_see_each_others_pings_and_changes(a.clone(), b.clone()).await;
        super::conformance::kubernetes::two_instances_record_an_object_once(a, b).await;
    }

    #[tokio::test]
    async fn postgres_two_instances() {
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let a: Arc<dyn Store> = Arc::new(
            PostgresStore::open(&super::postgres_url(), Some(&schema))
                .await
                .expect("open a"),
        );
        let b: Arc<dyn Store> = Arc::new(
            PostgresStore::open(&super::postgres_url(), Some(&schema))
                .await
                .expect("open b"),
        );
        super::intake::two_instances_see_each_others_pings_and_changes(a.clone(), b.clone()).await;
        super::conformance::kubernetes::two_instances_record_an_object_once(a, b).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_mixed_batches_do_not_deadlock() {
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let url = super::postgres_url();
        let open = || PostgresStore::open(&url, Some(&schema));
        let a: Arc<dyn Store> = Arc::new(open().await.expect("open a"));
        let b: Arc<dyn Store> = Arc::new(open().await.expect("open b"));
        super::intake::batches_mixing_ids_and_slugs_do_not_deadlock(a, b).await;
    }
}
