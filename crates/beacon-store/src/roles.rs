//! The store's interface, cut by the role its callers play: each loop and service takes the narrowest of these
//! it uses (the check loop only `Schedules`), and `Store` is their union. Every method that changes something is
//! one transaction; callers pass `now` (the store reads no clock).

use crate::Result;
use crate::model::*;
use async_trait::async_trait;
use beacon_core::Millis;
use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_core::heartbeat::{HeartbeatInput, HeartbeatSpec};
use beacon_core::rollup::{Resolution, Window};
use beacon_core::token::{NewToken, Scope};
use beacon_core::user::{Role, SessionLimits};
use std::collections::HashMap;
use uuid::Uuid;

/// Upkeep of the database itself: which backend, a round trip, retention, space and sizes.
#[async_trait]
pub trait Maintenance: Send + Sync + 'static {
    /// Which backend this is ("sqlite" or "postgres"), for logs and health output.
    fn backend(&self) -> &'static str;
    /// Forget workers not seen since `before` (`workers list` shows the last day's).
    async fn forget_workers(&self, before: Millis) -> Result<u64>;
    /// A cheap round trip, for readiness and health.
    async fn round_trip(&self) -> Result<()>;
    /// Delete rows of `what` older than `before` for up to `endpoints` endpoints after endpoint pk `after`, in
    /// one short transaction (the key order makes each endpoint's old rows one range).
    async fn delete_expired(
        &self,
        what: Expiring,
        before: Millis,
        after: i64,
        endpoints: u32,
    ) -> Result<CleanupStep>;
    /// Give freed space back where the engine allows it without blocking writers: on SQLite up to `pages` of an
    /// incrementally vacuumed file and a passive checkpoint; nothing on PostgreSQL (autovacuum). Pages freed.
    async fn reclaim_space(&self, pages: u32) -> Result<u64>;
    async fn storage_usage(&self) -> Result<StorageUsage>;
    /// Rows per table for the main tables (exact on SQLite, the planner's estimate on PostgreSQL).
    async fn table_rows(&self) -> Result<Vec<(&'static str, i64)>>;
}

/// What is monitored: services and their endpoints (an endpoint's schedule is created and moved with it).
#[async_trait]
pub trait Catalog: Send + Sync + 'static {
    async fn create_service(&self, name: &str, description: &str, now: Millis) -> Result<Service>;
    /// In creation order.
    async fn list_services(&self, page: Page) -> Result<Paged<Service>>;
    async fn get_service(&self, id: Uuid) -> Result<Service>;
    async fn update_service(
        &self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
        now: Millis,
    ) -> Result<Service>;
    /// Reminders of the service's incidents opened from now on (`None`: none).
    async fn set_service_reminders(
        &self,
        id: Uuid,
        reminders: Option<Reminders>,
        now: Millis,
    ) -> Result<Service>;
    /// The flap rule of the service's endpoints and heartbeats from their next change on (`None`: the default).
    async fn set_service_flap_rule(
        &self,
        id: Uuid,
        rule: Option<beacon_core::flapping::FlapRule>,
        now: Millis,
    ) -> Result<Service>;
    /// Refuses with `Conflict` while the service has endpoints, unless `cascade`.
    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<()>;
    /// Creates the endpoint and its schedule (first slot at or after `now`) in one transaction.
    async fn create_endpoint(
        &self,
        service_id: Uuid,
        spec: &EndpointSpec,
        now: Millis,
    ) -> Result<Endpoint>;
    /// In creation order.
    async fn list_endpoints(&self, service_id: Option<Uuid>, page: Page)
    -> Result<Paged<Endpoint>>;
    async fn get_endpoint(&self, id: Uuid) -> Result<Endpoint>;
    /// Applies `input` to the stored spec (validated as a whole) and reschedules if the interval or enabled flag
    /// changed, in one transaction.
    async fn update_endpoint(
        &self,
        id: Uuid,
        input: EndpointInput,
        now: Millis,
    ) -> Result<Endpoint>;
    async fn delete_endpoint(&self, id: Uuid) -> Result<()>;
}

/// Reading what checks found: raw pings and rollup windows.
#[async_trait]
pub trait Results: Send + Sync + 'static {
    /// Newest first.
    async fn list_pings(&self, endpoint_id: Uuid, query: PingQuery) -> Result<Vec<Ping>>;
    /// Rollup windows of one endpoint at `resolution` starting in `[from, to)`, oldest first, one per window
    /// start and region (`beacon_core::rollup::buckets` merges regions), or only `region`'s (NotFound when no
    /// region has that name).
    async fn rollup_windows(
        &self,
        endpoint_id: Uuid,
        resolution: Resolution,
        from: Millis,
        to: Millis,
        region: Option<&str>,
    ) -> Result<Vec<(Millis, Window)>>;
    /// Rollup windows of several endpoints (all regions) at `resolution` starting in `[from, to)`, in two queries
    /// whatever their number: `(endpoint, window start, window)`. Unknown ids are left out.
    async fn rollup_windows_of(
        &self,
        endpoint_ids: &[Uuid],
        resolution: Resolution,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<(Uuid, Millis, Window)>>;
}

/// Outages: listing them and resolving one by hand.
#[async_trait]
pub trait Incidents: Send + Sync + 'static {
    /// Newest first.
    async fn list_incidents(&self, filter: IncidentFilter, page: Page) -> Result<Paged<Incident>>;
    async fn get_incident(&self, id: Uuid) -> Result<Incident>;
    /// Resolves by hand and resets the endpoint's failure count; writes an `incident_resolved` event.
    async fn resolve_incident(&self, id: Uuid, now: Millis) -> Result<Incident>;
    /// Someone took an open incident (Conflict when resolved): its reminders and later escalation steps are
    /// cancelled in the same transaction. A second acknowledgement keeps the first.
    async fn acknowledge_incident(
        &self,
        id: Uuid,
        by: &str,
        note: Option<&str>,
        now: Millis,
    ) -> Result<Incident>;
    /// The key the servers share under `name`, made from `fresh` by whoever asks first.
    async fn server_key(&self, name: &str, fresh: &[u8], now: Millis) -> Result<Vec<u8>>;
    async fn count_open_incidents(&self) -> Result<i64>;
}

/// Notification channels of every kind and their subscriptions (routes). Webhooks are channels too: what
/// `Webhooks` does to them is seen here and the other way round.
#[async_trait]
pub trait Channels: Send + Sync + 'static {
    /// Conflict when the name is taken or the first route's service is unknown (NotFound).
    async fn create_channel(&self, new: &NewChannel, now: Millis) -> Result<Channel>;
    async fn list_channels(&self) -> Result<Vec<Channel>>;
    async fn get_channel(&self, id: Uuid) -> Result<Channel>;
    /// Conflict for an endpoint's own webhook and a taken name.
    async fn update_channel(&self, id: Uuid, patch: ChannelPatch, now: Millis) -> Result<Channel>;
    /// Deletes its deliveries too. Conflict for an endpoint's own webhook.
    async fn delete_channel(&self, id: Uuid) -> Result<()>;
    /// Subscribe the channel to these event kinds of a service (replacing that service's earlier list).
    async fn subscribe_channel(&self, id: Uuid, route: &Route, now: Millis) -> Result<Channel>;
    /// Remove the channel's subscription to a service's or a monitor's events (`target`: its id). NotFound
    /// when there is none.
    async fn unsubscribe_channel(&self, id: Uuid, target: Uuid, now: Millis) -> Result<Channel>;
    /// Add the channel to a monitor (an endpoint or heartbeat, by id) for these event kinds, or with `None` mute
    /// it there; either replaces the monitor's earlier subscription or mute of the channel.
    async fn route_monitor(
        &self,
        id: Uuid,
        monitor_id: Uuid,
        events: Option<&[String]>,
        now: Millis,
    ) -> Result<Channel>;
    /// NotFound when the channel is not muted on that monitor.
    async fn unmute_channel(&self, id: Uuid, monitor_id: Uuid, now: Millis) -> Result<Channel>;
}

/// Maintenance windows of services and monitors.
#[async_trait]
pub trait MaintenanceWindows: Send + Sync + 'static {
    /// NotFound for an unknown service or monitor.
    async fn create_window(&self, new: &NewWindow, now: Millis) -> Result<MaintenanceWindow>;
    /// Every window, newest first.
    async fn list_windows(&self) -> Result<Vec<MaintenanceWindow>>;
    async fn get_window(&self, id: Uuid) -> Result<MaintenanceWindow>;
    /// End it now (Conflict when it has ended already, by hand or by its end).
    async fn end_window(&self, id: Uuid, now: Millis) -> Result<MaintenanceWindow>;
    /// The windows in force at `at` for these monitors (endpoints and heartbeats), by id (their own and their
    /// services').
    async fn monitors_in_maintenance(
        &self,
        monitor_ids: &[Uuid],
        at: Millis,
    ) -> Result<HashMap<Uuid, (Millis, Millis)>>;
}

/// Escalation policies, and which service follows which.
#[async_trait]
pub trait Escalations: Send + Sync + 'static {
    /// Conflict when the name is taken; NotFound naming a channel that does not exist.
    async fn create_policy(
        &self,
        name: &str,
        steps: &[PolicyStep],
        repeat: u32,
        now: Millis,
    ) -> Result<EscalationPolicy>;
    async fn list_policies(&self) -> Result<Vec<EscalationPolicy>>;
    async fn get_policy(&self, id: Uuid) -> Result<EscalationPolicy>;
    /// Services that followed it follow none afterwards.
    async fn delete_policy(&self, id: Uuid) -> Result<()>;
    /// A monitor's (endpoint's or heartbeat's) own reminders, policy and channels. NotFound for no such monitor.
    async fn monitor_notifications(&self, monitor_id: Uuid) -> Result<MonitorNotifications>;
    /// Set what a monitor's incidents opened from now on are followed by; `None` keeps a setting. NotFound
    /// for an unknown monitor or policy.
    async fn set_monitor_follow_ups(
        &self,
        monitor_id: Uuid,
        reminders: Option<Setting<Reminders>>,
        escalation: Option<Setting<Uuid>>,
        now: Millis,
    ) -> Result<MonitorNotifications>;
    /// The policy the service's incidents opened from now on follow (`None`: none).
    async fn set_service_policy(
        &self,
        service_id: Uuid,
        policy_id: Option<Uuid>,
        now: Millis,
    ) -> Result<Service>;
}

/// Webhook configuration and the record of what was sent: events, deliveries, attempts.
#[async_trait]
pub trait Webhooks: Send + Sync + 'static {
    /// Outbox rows, oldest first (the delivery engine will consume these).
    async fn list_events(&self, after_pk: i64, limit: u32) -> Result<Vec<Event>>;
    /// Deliveries are created for events from now on, in the same transaction as each event.
    async fn create_webhook(
        &self,
        service_id: Uuid,
        spec: &WebhookSpec,
        now: Millis,
    ) -> Result<Webhook>;
    async fn list_webhooks(&self, service_id: Option<Uuid>) -> Result<Vec<Webhook>>;
    async fn get_webhook(&self, id: Uuid) -> Result<Webhook>;
    /// Conflict for an endpoint's own webhook (change the endpoint's `webhook_url` instead).
    async fn update_webhook(&self, id: Uuid, patch: WebhookPatch, now: Millis) -> Result<Webhook>;
    /// Deletes its deliveries too. Conflict for an endpoint's own webhook.
    async fn delete_webhook(&self, id: Uuid) -> Result<()>;
    /// Events about one endpoint, newest first.
    async fn list_endpoint_events(
        &self,
        endpoint_id: Uuid,
        limit: u32,
    ) -> Result<Vec<EndpointEvent>>;
    /// Delivery attempts of events about one endpoint, newest first.
    async fn list_endpoint_attempts(
        &self,
        endpoint_id: Uuid,
        limit: u32,
    ) -> Result<Vec<EndpointAttempt>>;
    /// In creation order.
    async fn list_deliveries(
        &self,
        webhook_id: Option<Uuid>,
        status: Option<DeliveryStatus>,
    ) -> Result<Vec<Delivery>>;
    async fn get_delivery(&self, id: Uuid) -> Result<DeliveryDetail>;
    /// Send again now (replay): a failed or delivered delivery becomes pending; Conflict while it is pending.
    async fn retry_delivery(&self, id: Uuid, now: Millis) -> Result<Delivery>;
}

/// The delivery engine's side of the outbox: lease due deliveries, record attempts, give leases back.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Write a `test` event for one webhook and its delivery, already leased to `owner` for `lease_ms`, so the
    /// caller sends it now (and the delivery engine does not).
    async fn create_test_delivery(
        &self,
        webhook_id: Uuid,
        owner: &str,
        lease_ms: i64,
        now: Millis,
    ) -> Result<ClaimedDelivery>;
    /// Lease up to `limit` due deliveries for `lease_ms`: pending, due at `now`, not leased, and the oldest pending
    /// one of their webhook (so a webhook receives events in order).
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Millis,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>>;
    /// Record an attempt and move the delivery on, in one transaction; `false` (and nothing written) if `owner`
    /// no longer holds the lease.
    async fn finish_attempt(&self, owner: &str, done: &FinishedAttempt) -> Result<bool>;
    /// Give back every delivery lease `owner` holds.
    async fn release_deliveries(&self, owner: &str) -> Result<u64>;
    /// Deliveries not yet delivered or failed for good.
    async fn count_pending_deliveries(&self) -> Result<i64>;
}

/// Leases on duties that must run once however many servers share the database.
#[async_trait]
pub trait Leadership: Send + Sync + 'static {
    /// Take or renew the lease on `duty` for `holder` until `now + ttl_ms`; `false` while another holder's lease
    /// has not expired.
    async fn hold_lease(&self, duty: &str, holder: &str, now: Millis, ttl_ms: i64) -> Result<bool>;
    /// Give the lease up (on shutdown), if `holder` has it.
    async fn release_lease(&self, duty: &str, holder: &str) -> Result<()>;
}

/// Regions checks run from.
#[async_trait]
pub trait Regions: Send + Sync + 'static {
    /// Conflict if the name is taken.
    async fn create_region(&self, name: &str) -> Result<Region>;
    /// By name, with how many endpoints each checks.
    async fn list_regions(&self) -> Result<Vec<Region>>;
    /// The key of the region named, or None.
    async fn region_pk(&self, name: &str) -> Result<Option<i32>>;
    /// Each region's health of one endpoint, in region order.
    async fn endpoint_regions(&self, endpoint_id: Uuid) -> Result<Vec<RegionState>>;
    /// Of `schedule_pks`, those whose row is of `region_pk` and belongs to the endpoint given with it: a worker's
    /// results are stored only for its own region's schedules.
    async fn schedules_in_region(
        &self,
        region_pk: i32,
        pairs: &[(i64, i64)],
    ) -> Result<std::collections::HashSet<i64>>;
    /// Insert or update what a worker reported on a claim (keyed by its instance).
    async fn record_worker(&self, report: &WorkerReport) -> Result<()>;
    /// Workers seen at or after `seen_since`, by region and name.
    async fn list_workers(&self, seen_since: Millis) -> Result<Vec<WorkerReport>>;
    /// Record a client certificate issued to worker `name` of `region` (a validation error on `region` if no
    /// region has that name).
    async fn add_worker_cert(&self, cert: &WorkerCert) -> Result<()>;
    /// The certificate with this SHA-256 (of its DER), if one was issued.
    async fn worker_cert(&self, fingerprint: &[u8; 32]) -> Result<Option<WorkerCert>>;
    /// Revoke every certificate issued to worker `name` not revoked yet; how many.
    async fn revoke_worker_certs(&self, name: &str, now: Millis) -> Result<u64>;
}

/// What is published: status pages (their services, in order) and badge keys of monitors.
#[async_trait]
pub trait Publishing: Send + Sync + 'static {
    /// NotFound naming the first service that does not exist; Conflict if the slug is taken.
    async fn create_status_page(
        &self,
        spec: &beacon_core::status_page::StatusPageSpec,
        now: Millis,
    ) -> Result<StatusPage>;
    /// By slug.
    async fn list_status_pages(&self) -> Result<Vec<StatusPage>>;
    async fn get_status_page(&self, id: Uuid) -> Result<StatusPage>;
    async fn status_page_by_slug(&self, slug: &str) -> Result<Option<StatusPage>>;
    /// Replace a page's fields and services (as `create_status_page` checks them).
    async fn update_status_page(
        &self,
        id: Uuid,
        spec: &beacon_core::status_page::StatusPageSpec,
        now: Millis,
    ) -> Result<StatusPage>;
    async fn delete_status_page(&self, id: Uuid) -> Result<()>;
    /// Give a monitor (endpoint or heartbeat) this badge key, replacing its old one, or none (`None`: revoked).
    /// NotFound if no monitor has the id.
    async fn set_badge_key(&self, monitor: Uuid, key: Option<&str>) -> Result<()>;
    async fn badge_key(&self, monitor: Uuid) -> Result<Option<String>>;
    /// The monitor a badge key names.
    async fn badge_monitor(&self, key: &str) -> Result<Option<BadgeMonitor>>;
}

/// API tokens (only hashes are stored).
#[async_trait]
pub trait Tokens: Send + Sync + 'static {
    /// `owner`: the user making it (the token then never grants more than their role); NotFound if no such user.
    async fn create_token(
        &self,
        name: &str,
        scope: Scope,
        token: &NewToken,
        owner: Option<Uuid>,
        now: Millis,
    ) -> Result<ApiToken>;
    /// A token of scope `worker` limited to the region named (a validation error on `region` if none is).
    async fn create_worker_token(
        &self,
        name: &str,
        region: &str,
        token: &NewToken,
        now: Millis,
    ) -> Result<ApiToken>;
    /// Create the first admin token if the database has never had one; `false` if it has (or another process
    /// won the race).
    async fn create_bootstrap_token(&self, token: &NewToken, now: Millis) -> Result<bool>;
    async fn list_tokens(&self) -> Result<Vec<ApiToken>>;
    /// Conflict if already revoked.
    async fn revoke_token(&self, id: Uuid, now: Millis) -> Result<ApiToken>;
    async fn token_credentials(&self, id: Uuid) -> Result<Option<TokenCredentials>>;
}

/// People and their sessions. There is always an admin once there is a user: changes that would leave none are
/// refused (Conflict).
#[async_trait]
pub trait Users: Send + Sync + 'static {
    /// Conflict when the email is taken. `email` is as validated (`user::validate_email`).
    async fn create_user(
        &self,
        name: &str,
        email: &str,
        role: Role,
        password_hash: &str,
        now: Millis,
    ) -> Result<User>;
    /// The first user only: Conflict if any user exists (two setup pages submitted at once create one).
    async fn create_first_user(
        &self,
        name: &str,
        email: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<User>;
    async fn count_users(&self) -> Result<u64>;
    /// In creation order.
    async fn list_users(&self) -> Result<Vec<User>>;
    async fn get_user(&self, id: Uuid) -> Result<User>;
    /// The user with this email and their password hash.
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>>;
    async fn password_hash(&self, id: Uuid) -> Result<String>;
    async fn update_user(&self, id: Uuid, change: &UserChange, now: Millis) -> Result<User>;
    /// Replace the password hash and end the user's sessions.
    async fn set_user_password(&self, id: Uuid, password_hash: &str, now: Millis) -> Result<()>;
    /// With their sessions.
    async fn delete_user(&self, id: Uuid) -> Result<()>;
    async fn create_session(
        &self,
        user: Uuid,
        token_hash: &[u8; 32],
        csrf: &str,
        now: Millis,
    ) -> Result<()>;
    /// The session with this token hash if it is still valid at `now` (it is marked used); an expired one is
    /// deleted.
    async fn session(
        &self,
        token_hash: &[u8; 32],
        limits: SessionLimits,
        now: Millis,
    ) -> Result<Option<SessionInfo>>;
    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<()>;
}

/// Push monitors' definitions and what they received.
#[async_trait]
pub trait Heartbeats: Send + Sync + 'static {
    /// Conflict when the slug is taken.
    async fn create_heartbeat(
        &self,
        service_id: Uuid,
        slug: &str,
        spec: &HeartbeatSpec,
        key_hash: &[u8; 32],
        now: Millis,
    ) -> Result<Heartbeat>;
    async fn list_heartbeats(
        &self,
        service_id: Option<Uuid>,
        page: Page,
    ) -> Result<Paged<Heartbeat>>;
    async fn get_heartbeat(&self, target: &HeartbeatRef) -> Result<Heartbeat>;
    /// Change the spec (and re-evaluate the status at `now`).
    async fn update_heartbeat(
        &self,
        id: Uuid,
        input: HeartbeatInput,
        now: Millis,
    ) -> Result<Heartbeat>;
    async fn set_heartbeat_paused(&self, id: Uuid, paused: bool, now: Millis) -> Result<Heartbeat>;
    /// A new key and ping URL secret; the old ones keep working until `old_valid_until` (None: they stop now).
    async fn set_heartbeat_key(
        &self,
        id: Uuid,
        key_hash: &[u8; 32],
        old_valid_until: Option<Millis>,
        now: Millis,
    ) -> Result<Heartbeat>;
    /// The heartbeat whose ping URL secret this is (or was, within its rotation grace at `now`).
    async fn heartbeat_for_ping_url(&self, secret: Uuid, now: Millis) -> Result<Option<Uuid>>;
    /// The service's ping key, for `/ping/<ping_key>/<slug>`.
    async fn service_ping_key(&self, service_id: Uuid) -> Result<String>;
    /// The service with this ping key, and its heartbeat with this slug if there is one.
    async fn heartbeat_for_ping_slug(
        &self,
        ping_key: &str,
        slug: &str,
    ) -> Result<Option<(Uuid, Option<Uuid>)>>;
    async fn delete_heartbeat(&self, id: Uuid) -> Result<()>;
    /// Newest first.
    async fn list_heartbeat_pings(&self, id: Uuid, limit: u32) -> Result<Vec<HeartbeatPing>>;
    /// Status transitions, newest first.
    async fn list_heartbeat_log(
        &self,
        target: &HeartbeatRef,
        limit: u32,
    ) -> Result<Vec<HeartbeatLogEntry>>;
}

/// The heartbeat intake and evaluator: ping batches, deadlines, pruning of the pings log.
#[async_trait]
pub trait HeartbeatIntake: Send + Sync + 'static {
    /// Store a batch of pings in one transaction (group commit): each is checked against its heartbeat's key,
    /// stored, and applied to the state in order; transitions open or resolve incidents and write
    /// `heartbeat_down` / `heartbeat_up` events. One outcome per ping, in order.
    async fn record_heartbeat_pings(&self, pings: &[IncomingPing]) -> Result<Vec<PingOutcome>>;
    /// Re-evaluate up to `limit` heartbeats whose `next_check_at` has come; how many were due (a full `limit`
    /// means more may be waiting). `resumed_at` is when Beacon last resumed taking pings: silence before it is
    /// not held against a heartbeat (`heartbeat::evaluate_held`).
    async fn evaluate_heartbeats(&self, now: Millis, limit: u32, resumed_at: Millis)
    -> Result<u32>;
    /// Background upkeep of the storage engine the intake writes to: on SQLite a passive WAL checkpoint (the
    /// intake's connection does not checkpoint on commit, so it never stalls on one); nothing on PostgreSQL.
    async fn checkpoint(&self) -> Result<()>;
    /// One step of a sweep over the pings log in pk order: of up to `rows` pings after pk `after`, delete those
    /// whose heartbeat has had `keep` newer ones (or is gone). A sweep starts at `after = 0` (counts of pings
    /// this process has not written to rows yet are taken then) and ends when `last` is `None`.
    async fn prune_heartbeat_pings(&self, keep: u32, after: i64, rows: u32) -> Result<CleanupStep>;
}

/// The check loop's slice: lease due slots, store results and advance schedules, give leases back.
/// A remote worker implements this over HTTPS; the stores implement it on the database.
#[async_trait]
pub trait Schedules: Send + Sync + 'static {
    /// Lease up to `limit` slots of `region` due at or before `horizon` whose lease is free or expired at `now`.
    /// The lease lasts until the later of slot and `now`, plus the endpoint's timeout, plus `lease_margin_ms`.
    async fn claim_slots(&self, claim: &Claim<'_>) -> Result<Vec<ClaimedSlot>>;
    /// Store results and advance schedules, in one transaction: pings are inserted once per (endpoint, region,
    /// slot) — a repeat is ignored and has no effect —, health and incidents follow each new result, and each
    /// schedule still leased by `owner` at that slot moves to its next slot.
    async fn complete_slots(
        &self,
        owner: &str,
        region_pk: i32,
        batch: &[Completion],
    ) -> Result<CompleteReport>;
    /// Give back every lease `owner` holds (graceful shutdown), so another process can run those slots now.
    async fn release_leases(&self, owner: &str) -> Result<u64>;
    /// Slots due at `now` with no live lease.
    async fn queue_depth(&self, region_pk: i32, now: Millis) -> Result<i64>;
}

/// The Kubernetes watcher's records: objects by uid, their `created`/`deleted` events (outbox rows of the
/// watcher's service, delivered in order per object), and each watch's resume position. Every change is
/// conditional on the record's state in the same statement, so two processes seeing the same object store
/// its event once.
#[async_trait]
pub trait Kubernetes: Send + Sync + 'static {
    /// Make the watcher's service (by name) and its managed webhook, or bring the webhook in line with the
    /// configuration.
    async fn kube_target(&self, target: &KubeTarget, now: Millis) -> Result<KubeTargetIds>;
    /// Apply a watch's sightings in order, in one transaction, and store the watch's position with them.
    async fn kube_record(
        &self,
        service_id: Uuid,
        sightings: &[beacon_core::kubernetes::Sighting],
        position: Option<(&str, &str)>,
        now: Millis,
    ) -> Result<Vec<KubeRecorded>>;
    /// A full listing of `scope` against the records active in it: the `created` and `deleted` events that
    /// were missed, in one transaction, with the watch's position.
    async fn kube_reconcile(
        &self,
        service_id: Uuid,
        scope: &KubeScope,
        listed: &[beacon_core::kubernetes::Sighting],
        position: Option<(&str, &str)>,
        now: Millis,
    ) -> Result<Vec<KubeRecorded>>;
    /// The resourceVersion a watch last stored.
    async fn kube_position(&self, watch: &str) -> Result<Option<String>>;
    async fn list_kube_objects(&self, filter: &KubeObjectFilter) -> Result<Vec<KubeObject>>;
    async fn list_kube_events(&self, filter: &KubeEventFilter) -> Result<Vec<KubeEventRow>>;
    /// Delete records of objects deleted before `before` whose deliveries all succeeded (with their events);
    /// objects with a failed or pending delivery stay for review. Returns the objects deleted.
    async fn kube_cleanup(&self, before: Millis) -> Result<u64>;
    async fn kube_counts(&self) -> Result<KubeCounts>;
}
