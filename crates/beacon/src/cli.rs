//! Command-line grammar: `beacon <noun> <verb>` plus `server` and `migrate`. Global options are accepted before or
//! after the subcommand.

use crate::names::Named;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "beacon",
    version,
    about = "Self-hosted monitoring in one binary",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Directory for the embedded SQLite database [default: ./beacon-data]
    #[arg(long, global = true, env = "BEACON_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Wins over --data-dir.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// Talk to a running server instead of the database, e.g. http://127.0.0.1:8080.
    #[arg(long, global = true, env = "BEACON_URL")]
    pub server: Option<String>,
    /// API token for --server [default: <data-dir>/admin-token when the server is on this machine]
    #[arg(long, global = true, env = "BEACON_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Output format.
    #[arg(short, long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Log level or filter (e.g. debug, beacon=trace). Default: info for `server`, warn otherwise.
    #[arg(long, global = true, env = "BEACON_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum, env = "BEACON_LOG_FORMAT", default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Create the SQLite database if there is none yet (`server` and `migrate` always do; other commands refuse,
    /// so a command run from the wrong directory does not start an empty database there).
    #[arg(long, global = true, env = "BEACON_INIT", value_parser = clap::builder::BoolishValueParser::new())]
    pub init: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Groups of endpoints.
    #[command(subcommand)]
    Services(ServicesCmd),
    /// Checks (http, tcp, dns, tls) run on a schedule.
    #[command(subcommand)]
    Endpoints(EndpointsCmd),
    /// Try a check before saving it: run it once now and print the result; nothing is stored.
    #[command(subcommand)]
    Checks(ChecksCmd),
    /// Maintenance windows: checks keep running, incidents and notifications are held back.
    #[command(subcommand)]
    Maintenance(MaintenanceCmd),
    /// Check results.
    #[command(subcommand)]
    Pings(PingsCmd),
    /// Uptime and latency percentiles of an endpoint over a range, from rollups.
    Stats(StatsArgs),
    /// Outages opened by consecutive failures.
    #[command(subcommand)]
    Incidents(IncidentsCmd),
    /// Where notifications go: email, Slack, Discord, Teams, Google Chat, Telegram, PagerDuty, ntfy, Gotify,
    /// Pushover, Matrix and signed webhooks; which services' events each receives.
    #[command(subcommand)]
    Channels(ChannelsCmd),
    /// Escalation policies: channels notified step by step while an incident stays unacknowledged.
    #[command(subcommand)]
    Escalations(EscalationsCmd),
    /// Notification targets (signed, retried webhooks).
    #[command(subcommand)]
    Webhooks(WebhooksCmd),
    /// Webhook deliveries: one event to one webhook.
    #[command(subcommand)]
    Deliveries(DeliveriesCmd),
    /// Push monitors: jobs ping them; silence or a failure turns them down.
    #[command(subcommand)]
    Heartbeats(HeartbeatsCmd),
    /// API tokens for the REST API and remote CLI.
    #[command(subcommand)]
    Tokens(TokensCmd),
    /// People who sign in to the dashboard, with their roles.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Regions checks run from.
    #[command(subcommand)]
    Regions(RegionsCmd),
    /// Public status pages: /status/<slug> shows the services named, without sign-in.
    #[command(subcommand)]
    StatusPages(StatusPagesCmd),
    /// Public badges of monitors (status, uptime, latency as SVG), by a revocable key.
    #[command(subcommand)]
    Badges(BadgesCmd),
    /// Workers that run checks for a region (`beacon worker`), as they last reported.
    #[command(subcommand)]
    Workers(WorkersCmd),
    /// Watch Kubernetes objects carrying an annotation, and notify an endpoint of their creation and deletion.
    #[command(subcommand)]
    Kubernetes(KubernetesCmd),
    /// Run the scheduler, checks, REST API and ops endpoints.
    Server(ServerArgs),
    /// Run the checks of one region for a server (--server URL --token T): no database, outbound HTTPS only.
    Worker(WorkerArgs),
    /// Mutual TLS between workers and servers: a CA under the data dir, and workers' client certificates.
    #[command(subcommand)]
    Certs(CertsCmd),
    /// Apply database migrations and exit.
    Migrate,
    /// Delete what retention no longer keeps, now, and give the space back (the server does this hourly).
    Cleanup(CleanupArgs),
    /// Copy the SQLite database to a new file, consistently, while the server runs (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// YAML configuration file whose `retention:` section to apply [default: the built-in retention]
    #[arg(long, env = "BEACON_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ServicesCmd {
    /// Create a service (a group of endpoints and heartbeats).
    Create {
        /// Its name, unique among services
        #[arg(long)]
        name: String,
        /// What it is, for people
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Every service.
    List,
    /// One service, with its ping key for heartbeat slug URLs.
    Get {
        /// The service's UUID or name
        id: Named,
    },
    /// Rename or redescribe a service; what is not given stays.
    Update {
        /// The service's UUID or name
        id: Named,
        /// New name
        #[arg(long)]
        name: Option<String>,
        /// New description
        #[arg(long)]
        description: Option<String>,
        /// While an incident stays open and unacknowledged, remind every SPAN (30m, 2h; 10s..7d), or 'off'
        #[arg(long)]
        remind_every: Option<String>,
        /// At most this many reminders per incident (1..100, default 10)
        #[arg(long)]
        remind_max: Option<u32>,
        /// The escalation policy its incidents follow (name or UUID), or 'none'
        #[arg(long)]
        escalation_policy: Option<String>,
        /// Its monitors flap after more than N state changes within the flap window (2..100; 0: never) [default: 6]
        #[arg(long)]
        flap_changes: Option<u32>,
        /// The flap window (1m..1d) [default: 30m]
        #[arg(long)]
        flap_window: Option<String>,
    },
    /// Refuses while the service has endpoints, unless --cascade.
    Delete {
        /// The service's UUID or name
        id: Named,
        /// Delete the service's endpoints, their pings and incidents too.
        #[arg(long)]
        cascade: bool,
    },
}

/// Flags shared by `endpoints create` and `endpoints update`.
#[derive(Debug, Args, Default)]
pub struct EndpointFlags {
    /// HTTP method [default: GET]
    #[arg(long)]
    pub method: Option<String>,
    /// Seconds between checks, 1..86400 [default: 60]
    #[arg(long, allow_negative_numbers = true)]
    pub interval: Option<i64>,
    /// Seconds (decimals allowed) [default: the smaller of 10 and the interval]
    #[arg(long, allow_negative_numbers = true)]
    pub timeout: Option<f64>,
    /// Accepted status codes: 200, 200-299, 200,201 [default: 200-299]
    #[arg(long)]
    pub expected_status: Option<String>,
    /// Request header 'Name: value' (repeatable; on update, replaces all headers)
    #[arg(long = "header")]
    pub headers: Vec<String>,
    /// Request body
    #[arg(long)]
    pub body: Option<String>,
    /// Consecutive failures that open an incident [default: 3]
    #[arg(long, allow_negative_numbers = true)]
    pub alert_threshold: Option<i64>,
    /// Consecutive successes that resolve it [default: 1]
    #[arg(long, allow_negative_numbers = true)]
    pub recovery_threshold: Option<i64>,
    /// Fail unless the response body contains this text
    #[arg(long)]
    pub expect_body_contains: Option<String>,
    /// Follow up to 5 redirects [default: true]
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub follow_redirects: Option<bool>,
    /// http: speak HTTP/2, negotiated by ALPN (https URLs only) [default: false]
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub http2: Option<bool>,
    /// Whether the endpoint is checked [default: true]
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub enabled: Option<bool>,
    /// Alert webhook of this endpoint alone, in Pulse's alert format ("" clears it)
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// Regions to check from, comma-separated (made with `regions create`) [default: default]
    #[arg(long)]
    pub regions: Option<String>,
    /// How many regions must see it down to open an incident [default: 1]
    #[arg(long, allow_negative_numbers = true)]
    pub alert_regions: Option<i64>,
    /// A condition every result must meet (repeatable; on update, replaces them all), e.g. '[STATUS] == 200',
    /// '[BODY].status == UP', '[RESPONSE_TIME] < 300', '[CERTIFICATE_EXPIRATION] > 72h'
    #[arg(long = "condition")]
    pub conditions: Vec<String>,
    /// Remove every condition
    #[arg(long, conflicts_with = "conditions")]
    pub clear_conditions: bool,
    /// A check that passes but takes longer than this is degraded (500ms, 2s; 0 clears it)
    #[arg(long)]
    pub degraded_above: Option<String>,
    /// http: a JSON path ($.status) into the body that must equal --equals (added as a condition)
    #[arg(long, requires = "equals")]
    pub expect_json_path: Option<String>,
    /// http: the value --expect-json-path must equal
    #[arg(long, requires = "expect_json_path")]
    pub equals: Option<String>,
    /// tcp and tls: HOST:PORT to connect to; dns: the NAME to look up
    #[arg(long)]
    pub target: Option<String>,
    /// dns: A, AAAA, CNAME, MX, TXT, NS or SOA [default: A]
    #[arg(long)]
    pub record_type: Option<String>,
    /// dns: the server to ask, HOST[:PORT] [default: this machine's resolver]
    #[arg(long)]
    pub dns_server: Option<String>,
    /// dns: an answer that must be among the records ('any': any answer); tcp: text the target must send back
    /// (repeatable)
    #[arg(long)]
    pub expect: Vec<String>,
    /// tcp: text to send after connecting (\r, \n, \xNN escapes)
    #[arg(long)]
    pub send: Option<String>,
    /// tcp: complete a TLS handshake after connecting
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub tls: Option<bool>,
    /// tls: the server name to ask for and match, if not the target's host
    #[arg(long)]
    pub sni: Option<String>,
    /// tls: fail when the certificate expires within DAYS [default: 14]
    #[arg(long, allow_negative_numbers = true)]
    pub cert_fail_days: Option<i64>,
    /// tls: warn when it expires within DAYS [default: 30]
    #[arg(long, allow_negative_numbers = true)]
    pub cert_warn_days: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCmd {
    /// Start or plan a window for a service or one monitor: from --start (default now) to --end, or for
    /// --duration; or each time --cron fires (in --tz) for --duration.
    #[command(group(clap::ArgGroup::new("target").required(true).args(["service", "monitor"])))]
    Create {
        /// The service's UUID or name (all its monitors)
        #[arg(long, visible_alias = "service-id")]
        service: Option<Named>,
        /// An endpoint's or heartbeat's UUID or name
        #[arg(long, visible_alias = "monitor-id")]
        monitor: Option<Named>,
        /// What is being done (shown with the window)
        #[arg(long)]
        reason: Option<String>,
        /// RFC 3339 start [default: now]
        #[arg(long)]
        start: Option<String>,
        /// RFC 3339 end
        #[arg(long)]
        end: Option<String>,
        /// How long: 30m, 2h, 1d
        #[arg(long)]
        duration: Option<String>,
        /// Recurring: a five-field cron expression, e.g. "0 2 * * SUN"
        #[arg(long)]
        cron: Option<String>,
        /// The time zone of --cron [default: UTC]
        #[arg(long)]
        tz: Option<String>,
    },
    /// Every window, newest first, with whether it is in force.
    List,
    /// One window.
    Get {
        /// The window's UUID
        id: Uuid,
    },
    /// End a window now (a recurring one has no more occurrences).
    End {
        /// The window's UUID
        id: Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChecksCmd {
    /// Run one check now — from this machine, or from the server with --server — and print its timings and
    /// each condition's outcome (exit 2 if it fails). Takes the flags of `endpoints create`.
    Run {
        /// http (the default), tcp, dns or tls
        #[arg(long)]
        kind: Option<String>,
        /// http: the URL to check
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        flags: Box<EndpointFlags>,
    },
}

#[derive(Debug, Subcommand)]
pub enum EndpointsCmd {
    /// Create an endpoint: a check of a kind (http, tcp, dns, tls) run every --interval seconds.
    Create {
        /// The service's UUID or name
        #[arg(long, visible_alias = "service")]
        service_id: Named,
        /// Its name, unique within the service
        #[arg(long)]
        name: String,
        /// http (the default), tcp, dns or tls
        #[arg(long)]
        kind: Option<String>,
        /// http: the URL to check (http or https)
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        flags: Box<EndpointFlags>,
    },
    /// Every endpoint, with its status and last check.
    List {
        /// Only this service's (UUID or name)
        #[arg(long, visible_alias = "service")]
        service_id: Option<Named>,
    },
    /// One endpoint, with its last result and uptime.
    Get {
        /// The endpoint's UUID or name
        id: Named,
    },
    /// Change an endpoint; what is not given stays.
    Update {
        /// The endpoint's UUID or name
        id: Named,
        /// New name
        #[arg(long)]
        name: Option<String>,
        /// New URL
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        flags: Box<EndpointFlags>,
        #[command(flatten)]
        follow: FollowUpFlags,
    },
    /// Delete an endpoint with its pings and incidents.
    Delete {
        /// The endpoint's UUID or name
        id: Named,
    },
    /// Stop checking until resumed; an open incident is resolved (resolved_by paused), so no one is paged.
    Pause {
        /// The endpoint's UUID or name
        id: Named,
    },
    /// Check again, from the next slot; failures count afresh.
    Resume {
        /// The endpoint's UUID or name
        id: Named,
    },
}

#[derive(Debug, Subcommand)]
pub enum PingsCmd {
    /// Newest first.
    List {
        /// The endpoint's UUID or name
        #[arg(long, visible_alias = "endpoint")]
        endpoint_id: Named,
        /// At most this many, 1..10000
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        /// Only failed checks.
        #[arg(long)]
        failed: bool,
    },
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The endpoint's UUID or name
    #[arg(long, visible_alias = "endpoint")]
    pub endpoint_id: Named,
    /// Bucket size: 1m, 5m, 1h or 1d [default: the finest giving at most 500 buckets]
    #[arg(long)]
    pub resolution: Option<String>,
    /// The range back from now (or from --to), e.g. 30m, 24h, 7d [default: 24h]
    #[arg(long, conflicts_with = "from")]
    pub since: Option<String>,
    /// Start of the range, RFC 3339 (e.g. 2026-11-01T00:00:00Z)
    #[arg(long)]
    pub from: Option<String>,
    /// End of the range, RFC 3339 [default: now]
    #[arg(long)]
    pub to: Option<String>,
    /// Only checks run from this region [default: all regions]
    #[arg(long)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IncidentStatusArg {
    Open,
    Resolved,
}

#[derive(Debug, Subcommand)]
pub enum IncidentsCmd {
    /// Incidents, newest first.
    List {
        /// Only open or only resolved ones
        #[arg(long, value_enum)]
        status: Option<IncidentStatusArg>,
        /// Only this endpoint's (UUID or name)
        #[arg(long, visible_alias = "endpoint")]
        endpoint_id: Option<Named>,
        /// Only this heartbeat's (UUID or name)
        #[arg(long, visible_alias = "heartbeat")]
        heartbeat_id: Option<Named>,
        /// Only the newest N.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        limit: Option<u32>,
    },
    /// One incident.
    Get {
        /// The incident's UUID
        id: Uuid,
    },
    /// Resolve by hand; failures count afresh afterwards.
    ///
    /// An endpoint that is still failing opens a new incident once it has failed `alert_threshold` more times
    /// (`incidents ack` takes an incident without resolving it; `endpoints pause ID` stops checking it while you
    /// work on it).
    Resolve {
        /// The incident's UUID
        id: Uuid,
    },
    /// Acknowledge an open incident: you are on it. Its reminders stop; it shows who and when.
    Ack {
        /// The incident's UUID
        id: Uuid,
        /// What you are doing about it
        #[arg(long)]
        note: Option<String>,
    },
}

/// A channel kind's settings as flags; each kind takes its own (another kind's flag is an error naming it).
/// Secrets are read from standard input (`--*-stdin`), never from the command line, except PagerDuty's routing
/// key and Pushover's user key, which are keys of a destination rather than credentials of an account.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ChannelFlags {
    /// Webhook URL (webhook, slack, discord, teams, google-chat), or the kind's API base (telegram,
    /// pagerduty, ntfy, gotify, pushover, matrix: a self-hosted server)
    #[arg(long)]
    pub url: Option<String>,
    /// email: the SMTP server's host
    #[arg(long)]
    pub smtp_host: Option<String>,
    /// email: its port [default: 587 for starttls, 465 for tls, 25 for none]
    #[arg(long)]
    pub smtp_port: Option<u16>,
    /// email: starttls (default), tls or none
    #[arg(long)]
    pub smtp_security: Option<String>,
    /// email: the SMTP user (with --smtp-password-stdin)
    #[arg(long)]
    pub smtp_user: Option<String>,
    /// email: read the SMTP password from standard input
    #[arg(long)]
    pub smtp_password_stdin: bool,
    /// email: the sender, e.g. 'Beacon <beacon@example.com>'
    #[arg(long)]
    pub from: Option<String>,
    /// email: comma-separated recipients
    #[arg(long, value_delimiter = ',')]
    pub to: Option<Vec<String>>,
    /// pagerduty: the Events API v2 integration (routing) key
    #[arg(long)]
    pub routing_key: Option<String>,
    /// telegram: read the bot token from standard input
    #[arg(long)]
    pub bot_token_stdin: bool,
    /// telegram: the chat's id (-100… for groups and channels) or @channelname
    #[arg(long, allow_hyphen_values = true)]
    pub chat_id: Option<String>,
    /// telegram: a forum topic's thread id
    #[arg(long)]
    pub thread_id: Option<i64>,
    /// ntfy: the topic
    #[arg(long)]
    pub topic: Option<String>,
    /// ntfy (optional), gotify, pushover, matrix: read the access or application token from standard input
    #[arg(long)]
    pub token_stdin: bool,
    /// pushover: the user (or group) key
    #[arg(long)]
    pub user_key: Option<String>,
    /// matrix: the room's id, e.g. '!abcdef:matrix.org'
    #[arg(long)]
    pub room_id: Option<String>,
    /// webhook: extra request header 'Name: value' (repeatable)
    #[arg(long = "header")]
    pub headers: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ChannelsCmd {
    /// Create a channel; a webhook's signing secret is shown once.
    Create {
        /// webhook, email, slack, discord, teams, google-chat, telegram, pagerduty, ntfy, gotify, pushover, matrix
        #[arg(long)]
        kind: String,
        /// Its name (unique; escalation steps name channels by it)
        #[arg(long)]
        name: String,
        #[command(flatten)]
        flags: Box<ChannelFlags>,
        /// Subscribe it to this service's events at once (UUID or name; with --events)
        #[arg(long, visible_alias = "service", requires = "events")]
        service_id: Option<Named>,
        /// Comma-separated event kinds: incident_start, incident_resolved, incident_acknowledged,
        /// heartbeat_down, heartbeat_up, reminder, degraded_start, degraded_end, kubernetes_created,
        /// kubernetes_deleted
        #[arg(long, value_delimiter = ',', requires = "service_id")]
        events: Option<Vec<String>>,
    },
    /// Channels with their subscriptions and health.
    List,
    /// One channel (secrets masked).
    Get {
        /// The channel's UUID or name
        id: Named,
    },
    /// Change a channel's name or settings; what is not given stays. Its kind cannot change.
    Update {
        /// The channel's UUID or name
        id: Named,
        /// New name
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        flags: Box<ChannelFlags>,
    },
    /// Delete a channel; its pending deliveries are dropped.
    Delete {
        /// The channel's UUID or name
        id: Named,
    },
    /// Send a test message through the channel now and print the attempt (exit 2 if it was not delivered).
    Test {
        /// The channel's UUID or name
        id: Named,
    },
    /// Subscribe a channel to event kinds of a service, or of one monitor (added to its service's channels);
    /// replaces that service's or monitor's earlier list.
    Subscribe {
        /// The channel's UUID or name
        id: Named,
        #[command(flatten)]
        target: SubscriptionTarget,
        /// Comma-separated event kinds
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
    },
    /// Stop a channel receiving a service's or a monitor's events.
    Unsubscribe {
        /// The channel's UUID or name
        id: Named,
        #[command(flatten)]
        target: SubscriptionTarget,
    },
    /// Silence a channel for one monitor: it hears nothing of it, whatever its service subscribes it to.
    Mute {
        /// The channel's UUID or name
        id: Named,
        /// The endpoint's or heartbeat's UUID or name
        #[arg(long, visible_alias = "monitor")]
        monitor_id: Named,
    },
    /// Let a muted channel hear of a monitor again.
    Unmute {
        /// The channel's UUID or name
        id: Named,
        /// The endpoint's or heartbeat's UUID or name
        #[arg(long, visible_alias = "monitor")]
        monitor_id: Named,
    },
}

/// A service, or one monitor (endpoint or heartbeat).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SubscriptionTarget {
    /// The service's UUID or name
    #[arg(long, visible_alias = "service")]
    pub service_id: Option<Named>,
    /// The endpoint's or heartbeat's UUID or name
    #[arg(long, visible_alias = "monitor")]
    pub monitor_id: Option<Named>,
}

/// A monitor's own reminders and escalation policy, over its service's.
#[derive(Debug, Args, Default)]
pub struct FollowUpFlags {
    /// Remind every SPAN (30m, 2h; 10s..7d) while an incident stays open and unacknowledged, 'off', or
    /// 'inherit' (the service's)
    #[arg(long)]
    pub remind_every: Option<String>,
    /// At most this many reminders per incident (1..100, default 10)
    #[arg(long)]
    pub remind_max: Option<u32>,
    /// The escalation policy its incidents follow (name or UUID), 'none', or 'inherit' (the service's)
    #[arg(long)]
    pub escalation_policy: Option<String>,
}

impl FollowUpFlags {
    pub fn given(&self) -> bool {
        self.remind_every.is_some() || self.remind_max.is_some() || self.escalation_policy.is_some()
    }
}

#[derive(Debug, Subcommand)]
pub enum EscalationsCmd {
    /// Create a policy: each --step notifies its channels that long after an incident opens, unless it has been
    /// acknowledged or resolved by then. Attach it with `services update S --escalation-policy NAME`.
    Create {
        /// Its name
        #[arg(long)]
        name: String,
        /// DELAY:channel[,channel] (channels by name or UUID), e.g. --step 0m:oncall --step 15m:lead,pager
        #[arg(long = "step", required = true)]
        steps: Vec<String>,
        /// Run the steps this many more times (0..10); a round starts one step-gap after its last step
        #[arg(long, default_value_t = 0)]
        repeat: u32,
    },
    /// Policies with their steps.
    List,
    /// One policy.
    Get {
        /// The policy's UUID or name
        id: String,
    },
    /// Delete a policy; services that followed it follow none.
    Delete {
        /// The policy's UUID or name
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCmd {
    /// Create a webhook; its signing secret is shown once.
    Create {
        /// The service's UUID or name
        #[arg(long, visible_alias = "service")]
        service_id: Named,
        /// Where to POST events (http or https)
        #[arg(long)]
        url: String,
        /// Comma-separated event kinds: incident_start, incident_resolved, heartbeat_down, heartbeat_up
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// whsec_... (generated when not given)
        #[arg(long)]
        secret: Option<String>,
        /// Extra request header 'Name: value' (repeatable)
        #[arg(long = "header")]
        headers: Vec<String>,
    },
    /// Webhooks with their health.
    List {
        /// Only this service's (UUID or name)
        #[arg(long, visible_alias = "service")]
        service_id: Option<Named>,
    },
    /// One webhook.
    Get {
        /// The webhook's UUID
        id: Uuid,
    },
    /// Change a webhook's URL, events, secret or headers; what is not given stays.
    Update {
        /// The webhook's UUID
        id: Uuid,
        /// New URL
        #[arg(long)]
        url: Option<String>,
        /// Comma-separated event kinds: incident_start, incident_resolved, heartbeat_down, heartbeat_up
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        /// whsec_... (signatures use it from the next attempt on)
        #[arg(long)]
        secret: Option<String>,
        /// Request header 'Name: value' (repeatable); replaces all extra headers
        #[arg(long = "header")]
        headers: Vec<String>,
        /// Remove all extra headers
        #[arg(long, conflicts_with = "headers")]
        clear_headers: bool,
    },
    /// Delete a webhook; its pending deliveries are dropped.
    Delete {
        /// The webhook's UUID
        id: Uuid,
    },
    /// Send a `test` event to the webhook now and print the attempt (exit 2 if it was not delivered).
    Test {
        /// The webhook's UUID
        id: Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum HeartbeatsCmd {
    /// Create a heartbeat; its ping key is shown once.
    Create {
        /// The service's UUID or name
        #[arg(long, visible_alias = "service")]
        service_id: Named,
        /// Its name
        #[arg(long)]
        name: String,
        /// Short name in ping URLs and the heartbeat API's serviceId [default: derived from the name]
        #[arg(long)]
        slug: Option<String>,
        /// Expect a ping at least every SECONDS
        #[arg(long, conflicts_with = "cron", required_unless_present = "cron")]
        period: Option<i64>,
        /// Expect a ping after each time this five-field cron expression fires
        #[arg(long)]
        cron: Option<String>,
        /// IANA time zone of --cron [default: UTC]
        #[arg(long, requires = "cron")]
        tz: Option<String>,
        /// Extra time before a late heartbeat is down [default: 60]
        #[arg(long)]
        grace: Option<i64>,
    },
    /// Heartbeats with their status.
    List {
        /// Only this service's (UUID or name)
        #[arg(long, visible_alias = "service")]
        service_id: Option<Named>,
    },
    /// A heartbeat with its ping URL.
    Get {
        /// The heartbeat's UUID or name
        id: Named,
    },
    /// Change name, schedule or grace; what is not given stays.
    Update {
        /// The heartbeat's UUID or name
        id: Named,
        /// New name
        #[arg(long)]
        name: Option<String>,
        /// Expect a ping at least every SECONDS (replaces a cron schedule)
        #[arg(long, conflicts_with = "cron")]
        period: Option<i64>,
        /// Five-field cron expression (replaces a period)
        #[arg(long)]
        cron: Option<String>,
        /// IANA time zone of the cron expression
        #[arg(long)]
        tz: Option<String>,
        /// Seconds of grace before a late heartbeat is down
        #[arg(long)]
        grace: Option<i64>,
        #[command(flatten)]
        follow: FollowUpFlags,
    },
    /// Delete a heartbeat with its pings and incidents.
    Delete {
        /// The heartbeat's UUID or name
        id: Named,
    },
    /// Stop evaluating (no alerts) until resumed or pinged.
    Pause {
        /// The heartbeat's UUID or name
        id: Named,
    },
    /// Evaluate again, afresh (as new until the next ping).
    Resume {
        /// The heartbeat's UUID or name
        id: Named,
    },
    /// A new ping key (shown once) and ping URL; the old ones stop working, or after --grace.
    RotateKey {
        /// The heartbeat's UUID or name
        id: Named,
        /// How long the old key and ping URL keep working, e.g. 10m, 1h (default: they stop now)
        #[arg(long, value_name = "SPAN")]
        grace: Option<String>,
    },
    /// Recent pings, newest first.
    Pings {
        /// The heartbeat's UUID or name
        id: Named,
        /// At most this many
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeliveriesCmd {
    /// Deliveries of events to webhooks, newest first.
    List {
        /// Only this webhook's (UUID)
        #[arg(long)]
        webhook_id: Option<Uuid>,
        /// pending, delivered, failed or cancelled (reminders not sent)
        #[arg(long)]
        status: Option<String>,
    },
    /// A delivery with every attempt: request, response, error, latency.
    Get {
        /// The delivery's UUID
        id: Uuid,
    },
    /// Send a failed (or delivered) delivery again now.
    Retry {
        /// The delivery's UUID
        id: Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCmd {
    /// Create a token; its secret is shown once.
    Create {
        /// What it is for (shown in lists)
        #[arg(long)]
        name: String,
        /// read, write, admin, or worker (with --region: it takes leases and stores results of that region only)
        #[arg(long, default_value = "write")]
        scope: String,
        /// The region of a worker token
        #[arg(long)]
        region: Option<String>,
    },
    /// Tokens (never their secrets).
    List,
    /// Revoke a token; it stops working at once on the server that revokes it, and within 5 s (the token cache)
    /// on other servers of the same database.
    Revoke {
        /// The token's UUID
        id: Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum KubernetesCmd {
    /// Run the watcher in one process (watch, store, deliver, reconcile, clean up, /metrics /healthz /ready),
    /// configured by the watcher's YAML file; SQLite at storage.dbPath unless --database is given.
    Run(KubeRunArgs),
    /// Objects the watcher tracks: active while annotated, deleted after (kept until cleanup).
    #[command(subcommand)]
    Objects(KubeObjectsCmd),
    /// The created and deleted events of tracked objects, with their deliveries.
    #[command(subcommand)]
    Events(KubeEventsCmd),
}

#[derive(Debug, Args)]
pub struct KubeRunArgs {
    /// The watcher's YAML file [default: /config/config.yaml]
    #[arg(long, env = "CONFIG_PATH")]
    pub config: Option<PathBuf>,
    /// Address for the HTTP endpoints [default: 0.0.0.0:<metrics.port>]
    #[arg(long)]
    pub listen: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KubeObjectsCmd {
    /// Tracked objects, newest first.
    List {
        /// Only this kind, e.g. ConfigMap
        #[arg(long)]
        kind: Option<String>,
        /// Only this namespace
        #[arg(long)]
        namespace: Option<String>,
        /// active or deleted
        #[arg(long)]
        status: Option<String>,
        /// At most this many (1-1000)
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum KubeEventsCmd {
    /// Events, newest first, with their deliveries by status (each in `deliveries list`).
    List {
        /// Only this object's (its id from `kubernetes objects list`)
        #[arg(long)]
        object: Option<Uuid>,
        /// Only this kind, e.g. ConfigMap
        #[arg(long)]
        kind: Option<String>,
        /// Only this namespace
        #[arg(long)]
        namespace: Option<String>,
        /// At most this many (1-1000)
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkersCmd {
    /// Workers seen in the last day: region, version, address, load, results pending.
    List,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The region whose checks to run [default: the worker token's region]
    #[arg(long, env = "BEACON_REGION")]
    pub region: Option<String>,
    /// Checks running at once [default: 256]
    #[arg(long, env = "WORKER_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// The name `workers list` shows [default: this machine's host name]
    #[arg(long, env = "BEACON_WORKER_NAME")]
    pub name: Option<String>,
    /// Client certificate for mutual TLS (PEM, from `beacon certs issue-worker`) instead of a token
    #[arg(long, env = "BEACON_WORKER_CERT", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The private key of --cert (PEM)
    #[arg(long, env = "BEACON_WORKER_KEY", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Trust the server's certificate when it is signed by this CA (PEM) [default: the system's roots]
    #[arg(long, env = "BEACON_SERVER_CA")]
    pub ca: Option<PathBuf>,
    /// Checks (https, TCP with TLS, TLS certificates) also trust certificates signed by this CA (PEM)
    #[arg(long, env = "BEACON_CHECKS_CA")]
    pub checks_ca: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CertsCmd {
    /// Create a certificate authority for workers' client certificates, and a server certificate signed by it,
    /// under <data-dir>/tls.
    Init {
        /// Names the server certificate is valid for (comma-separated DNS names or IP addresses)
        #[arg(long, default_value = "localhost,127.0.0.1")]
        server_names: String,
    },
    /// Issue a client certificate and key for a worker of one region (written to --out, readable by its owner
    /// only).
    IssueWorker {
        /// The worker's name
        #[arg(long)]
        name: String,
        /// The region it may take leases of
        #[arg(long)]
        region: String,
        /// Directory to write <name>.pem and <name>.key into [default: <data-dir>/tls/workers]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Days the certificate is valid
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Revoke the certificates issued to a worker: servers refuse them within 5 s (their cache).
    Revoke {
        /// The worker's name, as given to issue-worker
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegionsCmd {
    /// Create a region (workers of that region will run its endpoints' checks).
    Create {
        /// Its name: a-z, 0-9, '-', '_', '.' (e.g. eu-west)
        name: String,
    },
    /// Every region, with how many endpoints it checks.
    List,
}

#[derive(Debug, Subcommand)]
pub enum StatusPagesCmd {
    /// Create a status page for one or more services.
    Create {
        /// Its address: /status/<slug> (a-z, 0-9, '-', '_', '.')
        #[arg(long)]
        slug: String,
        /// Its heading
        #[arg(long)]
        title: String,
        /// A service to show (UUID or name; repeatable, in the order shown)
        #[arg(long = "service", visible_alias = "service-id", required = true)]
        services: Vec<Named>,
        /// A line under the heading
        #[arg(long)]
        description: Option<String>,
        /// Show the checked URLs (scheme, host and path only) [default: false]
        #[arg(long)]
        show_urls: bool,
    },
    /// Every status page.
    List,
    /// One status page.
    Get {
        /// The page's UUID or slug
        id: String,
    },
    /// Change a status page; what is not given stays.
    Update {
        /// The page's UUID or slug
        id: String,
        /// New slug
        #[arg(long)]
        slug: Option<String>,
        /// New title
        #[arg(long)]
        title: Option<String>,
        /// New description ("" clears it)
        #[arg(long)]
        description: Option<String>,
        /// Services to show (repeatable; replaces the list)
        #[arg(long = "service", visible_alias = "service-id")]
        services: Vec<Named>,
        /// Show the checked URLs or not
        #[arg(long, num_args = 0..=1, default_missing_value = "true")]
        show_urls: Option<bool>,
    },
    /// Delete a status page (its address stops answering).
    Delete {
        /// The page's UUID or slug
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BadgesCmd {
    /// Give a monitor a badge key (a new one replaces the old, which stops working) and print its badge URLs.
    Create {
        /// The endpoint's or heartbeat's UUID or name
        monitor: Named,
    },
    /// The monitor's badge URLs, if it has a badge key.
    Get {
        /// The endpoint's or heartbeat's UUID or name
        monitor: Named,
    },
    /// Revoke the monitor's badge key: its badges stop answering.
    Revoke {
        /// The endpoint's or heartbeat's UUID or name
        monitor: Named,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Create a user; the password is read from standard input.
    Create {
        /// Their name
        #[arg(long)]
        name: String,
        /// Their email address (signs in with it)
        #[arg(long)]
        email: String,
        /// admin (everything), editor (monitors, webhooks, incidents) or viewer (read only)
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Read the password (at least 10 characters) from standard input, so it is not in the shell history
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Every user.
    List,
    /// One user.
    Get {
        /// The user's UUID or email
        id: String,
    },
    /// Change a user's name, email or role; what is not given stays.
    Update {
        /// The user's UUID or email
        id: String,
        /// New name
        #[arg(long)]
        name: Option<String>,
        /// New email address
        #[arg(long)]
        email: Option<String>,
        /// New role: admin, editor or viewer
        #[arg(long)]
        role: Option<String>,
    },
    /// Delete a user and end their sessions (the last admin cannot be deleted).
    Delete {
        /// The user's UUID or email
        id: String,
    },
    /// Set a user's password from standard input; their sessions end.
    SetPassword {
        /// The user's UUID or email
        id: String,
        /// Read the password from standard input
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address for the HTTP endpoints [default: 127.0.0.1:8080]
    #[arg(long, env = "BEACON_LISTEN")]
    pub listen: Option<String>,
    /// YAML configuration file.
    #[arg(long, env = "BEACON_CONFIG")]
    pub config: Option<PathBuf>,
    /// Checks running at once [default: 256]
    #[arg(long, env = "WORKER_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Base URL of heartbeat ping URLs as clients reach this server [default: http://<listen address>]
    #[arg(long, env = "BEACON_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Run no checks here (a control plane: API, dashboard, heartbeats, notifications); other servers or
    /// workers run them [default: checks run here]
    #[arg(long, env = "BEACON_NO_LOCAL_WORKER")]
    pub no_local_worker: bool,
    /// Serve HTTPS with this certificate chain (PEM) [default: plain HTTP]
    #[arg(long, env = "BEACON_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM)
    #[arg(long, env = "BEACON_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Verify workers' client certificates against this CA (PEM; `beacon certs init` makes one)
    #[arg(long, env = "BEACON_CLIENT_CA")]
    pub client_ca: Option<PathBuf>,
}

#[cfg(test)]
mod help_tests {
    use super::*;
    use clap::CommandFactory;

    /// Every command and every flag or argument says what it is for, and no help speaks of the project's
    /// history ("seed 003") instead of the product a user knows.
    #[test]
    fn every_command_and_flag_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && path != " beacon" {
                missing.push(format!("{path}: no about"));
            }
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                match arg.get_help() {
                    None => missing.push(format!("{path} {id}: no help")),
                    Some(h) if h.to_string().to_lowercase().contains("seed") => {
                        missing.push(format!("{path} {id}: says 'seed': {h}"));
                    }
                    Some(_) => {}
                }
            }
            if let Some(about) = cmd.get_about()
                && about.to_string().to_lowercase().contains("seed")
            {
                missing.push(format!("{path}: says 'seed': {about}"));
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }
}
