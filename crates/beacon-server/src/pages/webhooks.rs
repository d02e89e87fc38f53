//! Webhooks and their deliveries: every webhook with its health, a webhook's page with its recent deliveries,
//! a delivery's attempt log (request, response, latency), retry and test; create, edit and delete forms.

use super::form::{Field, FormPage, Input, Posted, header_lines};
use super::*;
use crate::api::{ServiceOps, WebhookOps};
use crate::wire::{
    DeliveryDetailView, DeliveryView, WebhookCreate, WebhookPatchBody, WebhookView, mask_values,
};
use axum::Form;
use axum::extract::{Path, State};
use beacon_core::event::EventKind;
use uuid::Uuid;

/// Deliveries shown on a webhook's page, newest first.
const RECENT_DELIVERIES: usize = 50;

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    nav: Nav,
    /// (webhook, its service's name)
    webhooks: Vec<(WebhookView, String)>,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct WebhookPage {
    nav: Nav,
    w: WebhookView,
    service: String,
    deliveries: Vec<DeliveryView>,
    /// What a test just did (empty unless the page answers a test).
    tested: String,
}

#[derive(Template)]
#[template(path = "delivery.html")]
struct DeliveryPage {
    nav: Nav,
    d: DeliveryDetailView,
}

/// What a test delivery came to, in a sentence (`what`: "event", "message").
pub fn test_outcome(d: &DeliveryDetailView, what: &str) -> String {
    match d.attempts.last() {
        Some(a) if d.delivery.status == "delivered" => format!(
            "The test {what} was delivered: {} in {:.0} ms.",
            a.response_status.unwrap_or_default(),
            a.latency_ms
        ),
        Some(a) => format!(
            "The test {what} was not delivered: {}.",
            a.error.clone().unwrap_or_else(|| format!(
                "the receiver answered {}",
                a.response_status.unwrap_or_default()
            ))
        ),
        None => format!("The test {what} was not sent."),
    }
}

/// JSON as indented text for the attempt log.
pub fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub async fn webhooks(State(state): State<AppState>, Me(me): Me) -> Response {
    let (hooks, services) = match (
        state.app.list_webhooks(None).await,
        state.app.all_services().await,
    ) {
        (Ok(h), Ok(s)) => (h.data, s),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let names: std::collections::HashMap<Uuid, String> =
        services.into_iter().map(|s| (s.id, s.name)).collect();
    let webhooks = hooks
        .into_iter()
        .map(|w| {
            let service = w
                .service_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_default();
            (w, service)
        })
        .collect();
    render(&WebhooksPage {
        nav: Nav::new(&me, "webhooks"),
        webhooks,
    })
}

async fn webhook_page(state: &AppState, me: &SessionInfo, id: Uuid, tested: String) -> Response {
    let (mut w, deliveries) = match (
        state.app.get_webhook(id).await,
        state.app.list_deliveries(Some(id), None).await,
    ) {
        (Ok(w), Ok(d)) => (w, d.data),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    if me.user.role < beacon_core::user::Role::Editor {
        mask_values(&mut w.headers);
    }
    let service = match w.service_id {
        Some(sid) => match state.app.get_service(sid).await {
            Ok(s) => s.name,
            Err(e) => return error_page(&e),
        },
        None => String::new(),
    };
    let mut deliveries = deliveries;
    deliveries.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    deliveries.truncate(RECENT_DELIVERIES);
    render(&WebhookPage {
        nav: Nav::new(me, "webhooks"),
        w,
        service,
        deliveries,
        tested,
    })
}

pub async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Response {
    match signed_in(&state, &headers).await {
        Ok(me) => webhook_page(&state, &me, id, String::new()).await,
        Err(answer) => answer,
    }
}

pub async fn delivery(State(state): State<AppState>, Me(me): Me, Path(id): Path<Uuid>) -> Response {
    match state.app.get_delivery(id).await {
        Ok(d) => render(&DeliveryPage {
            nav: Nav::new(&me, "webhooks"),
            d,
        }),
        Err(e) => error_page(&e),
    }
}

/// Test, delete (webhooks) or retry (deliveries), for editors and admins.
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
            let tested = match state.app.test_webhook(id).await {
                Ok(d) => test_outcome(&d, "event"),
                Err(e) => return error_page(&e),
            };
            webhook_page(&state, &me, id, tested).await
        }
        "delete" => match state.app.delete_webhook(id).await {
            Ok(()) => Redirect::to("/webhooks").into_response(),
            Err(e) => error_page(&e),
        },
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(answer) = editor(&state, &headers, &form.csrf).await {
        return answer;
    }
    match state.app.retry_delivery(id).await {
        Ok(d) => Redirect::to(&format!("/deliveries/{}", d.id)).into_response(),
        Err(e) => error_page(&e),
    }
}

/// The webhook form: the fields of `beacon webhooks create`, named as its flags are.
fn form(nav: Nav, title: String, action: String, cancel: String, creating: bool) -> FormPage {
    let mut page = FormPage::new(nav, title, action);
    page.cancel = cancel;
    page.fields = vec![
        Field::new("url", "URL", Input::Url)
            .required()
            .help("Where to POST events (http or https)."),
        Field::new(
            "events",
            "Events",
            Input::Checks(
                EventKind::SUBSCRIBABLE
                    .iter()
                    .map(|k| (k.as_str().to_owned(), k.as_str().to_owned(), creating))
                    .collect(),
            ),
        ),
        Field::new("secret", "Signing secret", Input::Password).help(if creating {
            "whsec_...; empty: one is generated and shown once."
        } else {
            "whsec_...; empty: keep the current one."
        }),
        Field::new("header", "Extra request headers", Input::Textarea)
            .help("One 'Name: value' per line."),
    ];
    page
}

pub async fn new_form(
    State(state): State<AppState>,
    Me(me): Me,
    Path(service): Path<Uuid>,
) -> Response {
    match state.app.get_service(service).await {
        Ok(s) => render(&form(
            Nav::new(&me, "webhooks"),
            format!("New webhook for {}", s.name),
            format!("/services/{service}/webhooks/new"),
            format!("/services/{service}"),
            true,
        )),
        Err(e) => error_page(&e),
    }
}

fn events(posted: &Posted) -> Vec<String> {
    posted
        .all("events")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(service): Path<Uuid>,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match editor(&state, &headers, posted.csrf()).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let done = match posted.headers("header") {
        Ok(h) => {
            state
                .app
                .create_webhook(WebhookCreate {
                    service_id: service,
                    url: posted.text("url").unwrap_or_default(),
                    events: events(&posted),
                    secret: posted.text("secret"),
                    headers: Some(h),
                })
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(created) => render(&SecretOnce {
            nav: Nav::new(&me, "webhooks"),
            title: "Webhook created".into(),
            what: "Its signing secret (verify the webhook-signature header with it)".into(),
            secret: created.secret,
            note: String::new(),
            next: format!("/webhooks/{}", created.webhook.id),
        }),
        Err(e) => form(
            Nav::new(&me, "webhooks"),
            "New webhook".into(),
            format!("/services/{service}/webhooks/new"),
            format!("/services/{service}"),
            true,
        )
        .fill(&posted)
        .failed(&e),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    Me(me): Me,
    Path(id): Path<Uuid>,
) -> Response {
    let w = match state.app.get_webhook(id).await {
        Ok(w) => w,
        Err(e) => return error_page(&e),
    };
    let mut page = form(
        Nav::new(&me, "webhooks"),
        "Edit webhook".into(),
        format!("/webhooks/{id}/edit"),
        format!("/webhooks/{id}"),
        false,
    );
    for f in &mut page.fields {
        match (&mut f.input, f.name) {
            (_, "url") => f.value = w.url.clone(),
            (_, "header") => f.value = header_lines(&w.headers),
            (Input::Checks(options), _) => {
                for (value, _, ticked) in options.iter_mut() {
                    *ticked = w.events.contains(value);
                }
            }
            _ => {}
        }
    }
    render(&page)
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
    let done = match posted.headers("header") {
        Ok(h) => {
            state
                .app
                .update_webhook(
                    id,
                    WebhookPatchBody {
                        url: Some(posted.text("url").unwrap_or_default()),
                        events: Some(events(&posted)),
                        secret: posted.text("secret"),
                        headers: Some(h),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/webhooks/{id}")).into_response(),
        Err(e) => form(
            Nav::new(&me, "webhooks"),
            "Edit webhook".into(),
            format!("/webhooks/{id}/edit"),
            format!("/webhooks/{id}"),
            false,
        )
        .fill(&posted)
        .failed(&e),
    }
}
