//! Channels: every channel with its kind, target, subscriptions and health; a channel's page with its settings
//! (secrets masked), recent deliveries, a test button and delete; the form to make one of any kind, and the form
//! that edits one (its kind's fields, secrets left empty to keep them).

use super::form::{Field, FormPage, Input, Posted};
use super::*;
use crate::api::{ChannelOps, WebhookOps};
use crate::wire::{ChannelCreate, ChannelFields, ChannelPatchBody, ChannelView, DeliveryView};
use axum::Form;
use axum::extract::{Path, State};
use beacon_core::channel::ChannelKind;
use beacon_core::event::EventKind;
use std::collections::HashMap;
use uuid::Uuid;

const RECENT_DELIVERIES: usize = 50;

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    nav: Nav,
    /// (channel, its subscriptions as "service: events")
    channels: Vec<(ChannelView, String)>,
}

#[derive(Template)]
#[template(path = "channel.html")]
struct ChannelPage {
    nav: Nav,
    c: ChannelView,
    subscriptions: String,
    deliveries: Vec<DeliveryView>,
    /// What a test just did (empty unless the page answers a test).
    tested: String,
}

fn subscriptions(c: &ChannelView, names: &HashMap<Uuid, String>) -> String {
    c.subscription_lines(names).join("; ")
}

/// Names of services and monitors by id.
async fn service_names(state: &AppState) -> Result<HashMap<Uuid, String>, crate::error::ApiError> {
    let mut names: HashMap<Uuid, String> = state
        .app
        .all_services()
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    names.extend(
        state
            .app
            .monitors()
            .await?
            .0
            .iter()
            .map(|m| (m.id, m.name.clone())),
    );
    Ok(names)
}

pub async fn channels(State(state): State<AppState>, Me(me): Me) -> Response {
    let (list, names) = match (state.app.list_channels().await, service_names(&state).await) {
        (Ok(l), Ok(n)) => (l.data, n),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    render(&ChannelsPage {
        nav: Nav::new(&me, "channels"),
        channels: list
            .into_iter()
            .map(|c| {
                let subs = subscriptions(&c, &names);
                (c, subs)
            })
            .collect(),
    })
}

async fn channel_page(state: &AppState, me: &SessionInfo, id: Uuid, tested: String) -> Response {
    let (c, deliveries, names) = match (
        state.app.get_channel(id).await,
        state.app.list_deliveries(Some(id), None).await,
        service_names(state).await,
    ) {
        (Ok(c), Ok(d), Ok(n)) => (c, d.data, n),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&e),
    };
    let mut deliveries = deliveries;
    deliveries.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    deliveries.truncate(RECENT_DELIVERIES);
    render(&ChannelPage {
        nav: Nav::new(me, "channels"),
        subscriptions: subscriptions(&c, &names),
        c,
        deliveries,
        tested,
    })
}

pub async fn channel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Response {
    match signed_in(&state, &headers).await {
        Ok(me) => channel_page(&state, &me, id, String::new()).await,
        Err(answer) => answer,
    }
}

/// Test or delete, for editors and admins.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(Uuid, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let me = match editor(&state, &headers, &form.csrf).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    match action.as_str() {
        "test" => {
            let tested = match state.app.test_channel(id).await {
                Ok(d) => super::webhooks::test_outcome(&d, "message"),
                Err(e) => return error_page(&e),
            };
            channel_page(&state, &me, id, tested).await
        }
        "delete" => match state.app.delete_channel(id).await {
            Ok(()) => Redirect::to("/channels").into_response(),
            Err(e) => error_page(&e),
        },
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The form of `beacon channels create`: every kind's fields, named as its flags are (each says which kinds
/// take it); a field a kind does not take comes back named in the error.
fn form(nav: Nav, services: &[(Uuid, String)]) -> FormPage {
    let mut page = FormPage::new(nav, "New channel", "/channels/new");
    page.cancel = "/channels".into();
    page.intro = "Fill in the fields of the kind you choose; docs/notifications.md says where to find each URL and token.".into();
    let mut service_options = vec![(String::new(), "None (subscribe later)".to_owned())];
    service_options.extend(
        services
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone())),
    );
    page.fields = vec![
        Field::new(
            "kind",
            "Kind",
            Input::Select(ChannelKind::ALL.iter().map(|k| (k.as_str().to_owned(), k.as_str().to_owned())).collect()),
        )
        .required(),
        Field::new("name", "Name", Input::Text).required().help("Unique; escalation steps name channels by it."),
        Field::new("url", "URL", Input::Url).help(
            "webhook, slack, discord, teams, google-chat: the webhook URL. telegram, pagerduty, ntfy, gotify, pushover, matrix: the API base of a self-hosted server (gotify and matrix need one).",
        ),
        Field::new("smtp_host", "SMTP host", Input::Text).help("email"),
        Field::new("smtp_port", "SMTP port", Input::Number).help("email: 587 for STARTTLS, 465 for TLS, 25 for none when empty"),
        Field::new(
            "smtp_security",
            "SMTP security",
            Input::Select(vec![
                ("starttls".into(), "STARTTLS".into()),
                ("tls".into(), "TLS".into()),
                ("none".into(), "None".into()),
            ]),
        )
        .help("email"),
        Field::new("smtp_user", "SMTP user", Input::Text).help("email, with the password"),
        Field::new("smtp_password", "SMTP password", Input::Password).help("email"),
        Field::new("from", "From", Input::Text).help("email: beacon@example.com or Beacon <beacon@example.com>"),
        Field::new("to", "To", Input::Text).help("email: comma-separated addresses"),
        Field::new("routing_key", "Routing key", Input::Password).help("pagerduty: the Events API v2 integration key"),
        Field::new("bot_token", "Bot token", Input::Password).help("telegram: from @BotFather"),
        Field::new("chat_id", "Chat id", Input::Text).help("telegram: -100… for groups and channels, or @channelname"),
        Field::new("thread_id", "Thread id", Input::Number).help("telegram: a forum topic (optional)"),
        Field::new("topic", "Topic", Input::Text).help("ntfy"),
        Field::new("token", "Token", Input::Password).help("ntfy (optional), gotify, pushover, matrix"),
        Field::new("user_key", "User key", Input::Password).help("pushover"),
        Field::new("room_id", "Room id", Input::Text).help("matrix: !abcdef:example.org"),
        Field::new("service_id", "Subscribe a service", Input::Select(service_options)),
        Field::new(
            "events",
            "Events",
            Input::Checks(
                EventKind::SUBSCRIBABLE
                    .iter()
                    .map(|k| (k.as_str().to_owned(), k.as_str().to_owned(), k.is_endpoint_incident()))
                    .collect(),
            ),
        )
        .help("What the service sends it."),
    ];
    page
}

async fn service_list(state: &AppState) -> Vec<(Uuid, String)> {
    state
        .app
        .all_services()
        .await
        .map(|l| l.into_iter().map(|s| (s.id, s.name)).collect())
        .unwrap_or_default()
}

pub async fn new_form(State(state): State<AppState>, Me(me): Me) -> Response {
    render(&form(
        Nav::new(&me, "channels"),
        &service_list(&state).await,
    ))
}

/// The posted form as the API's body; number fields that are not numbers are errors naming them.
fn body(posted: &Posted) -> Result<ChannelCreate, crate::error::ApiError> {
    let port = posted
        .int("smtp_port")?
        .map(|p| {
            u16::try_from(p).map_err(|_| {
                crate::error::ApiError::unprocessable("must be 1-65535").with_field("smtp_port")
            })
        })
        .transpose()?;
    let service_id = posted
        .text("service_id")
        .map(|s| {
            Uuid::try_parse(&s).map_err(|_| {
                crate::error::ApiError::unprocessable("not a service").with_field("service_id")
            })
        })
        .transpose()?;
    let events: Vec<String> = posted
        .all("events")
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok(ChannelCreate {
        kind: posted.text("kind").unwrap_or_default(),
        name: posted.text("name").unwrap_or_default(),
        fields: ChannelFields {
            url: posted.text("url"),
            smtp_host: posted.text("smtp_host"),
            smtp_port: port,
            // The select always posts a value: it counts only with a host (an email channel).
            smtp_security: posted.text("smtp_host").and(posted.text("smtp_security")),
            smtp_user: posted.text("smtp_user"),
            smtp_password: posted.text("smtp_password"),
            from: posted.text("from"),
            to: posted.text("to").map(|t| vec![t]),
            routing_key: posted.text("routing_key"),
            bot_token: posted.text("bot_token"),
            chat_id: posted.text("chat_id"),
            thread_id: posted.int("thread_id")?,
            topic: posted.text("topic"),
            token: posted.text("token"),
            user_key: posted.text("user_key"),
            room_id: posted.text("room_id"),
            headers: None,
            unknown: Default::default(),
        },
        events: service_id.map(|_| events),
        service_id,
    })
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match editor(&state, &headers, posted.csrf()).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let done = match body(&posted) {
        Ok(b) => state.app.create_channel(b).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(created) => match created.secret {
            Some(secret) => render(&SecretOnce {
                nav: Nav::new(&me, "channels"),
                title: "Webhook channel created".into(),
                what: "Its signing secret (verify the webhook-signature header with it)".into(),
                secret,
                note: String::new(),
                next: format!("/channels/{}", created.channel.id),
            }),
            None => Redirect::to(&format!("/channels/{}", created.channel.id)).into_response(),
        },
        Err(e) => {
            let mut page =
                form(Nav::new(&me, "channels"), &service_list(&state).await).fill(&posted);
            // Secrets are never sent back to the browser: they are typed again.
            for f in &mut page.fields {
                if matches!(f.input, Input::Password) {
                    f.value.clear();
                }
            }
            page.failed(&e)
        }
    }
}

/// Whether field `name` of `c` holds a secret (shown masked: a token, a chat webhook's URL).
fn secret(c: &ChannelView, name: &str) -> bool {
    c.settings
        .get(name)
        .is_some_and(|v| v.contains(beacon_core::channel::MASK))
}

/// The form of `beacon channels update`: the name and the fields of the channel's kind, filled in with its
/// settings; a secret's field is empty and keeps the secret unless something is typed.
fn edit_form(nav: Nav, c: &ChannelView) -> FormPage {
    let mut page = form(nav, &[]);
    page.title = format!(
        "Edit channel {}",
        c.name.as_deref().unwrap_or(c.kind.as_str())
    );
    page.action = format!("/channels/{}/edit", c.id);
    page.cancel = format!("/channels/{}", c.id);
    page.intro = format!(
        "A {} channel; its kind cannot change. Leave a secret's field empty to keep it.",
        c.kind
    );
    page.fields
        .retain(|f| f.name == "name" || c.settings.contains_key(f.name));
    for f in &mut page.fields {
        if f.name == "name" {
            f.value = c.name.clone().unwrap_or_default();
        } else if secret(c, f.name) {
            f.value.clear();
            f.required = false;
            f.help = "Leave empty to keep the current one.";
        } else if let Some(v) = c.settings.get(f.name) {
            f.value.clone_from(v);
        }
    }
    page
}

pub async fn edit(State(state): State<AppState>, Me(me): Me, Path(id): Path<Uuid>) -> Response {
    if me.user.role < beacon_core::user::Role::Editor {
        return StatusCode::FORBIDDEN.into_response();
    }
    match state.app.get_channel(id).await {
        Ok(c) if c.kind == "webhook" => Redirect::to(&format!("/webhooks/{id}")).into_response(),
        Ok(c) => render(&edit_form(Nav::new(&me, "channels"), &c)),
        Err(e) => error_page(&e),
    }
}

pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match editor(&state, &headers, posted.csrf()).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let current = match state.app.get_channel(id).await {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let done = match body(&posted) {
        Ok(b) => {
            state
                .app
                .update_channel(
                    id,
                    ChannelPatchBody {
                        name: Some(b.name),
                        fields: b.fields,
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/channels/{id}")).into_response(),
        Err(e) => {
            let mut page = edit_form(Nav::new(&me, "channels"), &current).fill(&posted);
            // Secrets are never sent back to the browser: they are typed again.
            for f in &mut page.fields {
                if secret(&current, f.name) {
                    f.value.clear();
                }
            }
            page.failed(&e)
        }
    }
}
