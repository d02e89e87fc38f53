//! Services: the list, a service's page (its monitors, webhooks and open incidents), and the create, edit and
//! delete forms.

use super::form::{Field, FormPage, Input, Posted};
use super::*;
use crate::api::MonitorRow;
use crate::api::{EscalationOps, IncidentOps, IncidentParams, ServiceOps, WebhookOps};
use crate::wire::{IncidentView, ServiceCreate, ServicePatch, ServiceView, WebhookView};
use axum::Form;
use axum::extract::{Path, State};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    nav: Nav,
    /// (service, monitors, of them down)
    services: Vec<(ServiceView, usize, usize)>,
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    nav: Nav,
    s: ServiceView,
    monitors: Vec<MonitorRow>,
    webhooks: Vec<WebhookView>,
    /// (incident, what it is about, since)
    incidents: Vec<(IncidentView, String, String)>,
}

impl MonitorRow {
    /// Where the monitor's page is.
    pub fn href(&self) -> String {
        let kind = if self.kind == "heartbeat" {
            "heartbeats"
        } else {
            "endpoints"
        };
        format!("/{kind}/{}", self.id)
    }

    /// When it was last checked or pinged, UTC.
    pub fn last_at(&self) -> String {
        self.last.as_deref().map_or_else(|| "never".into(), when)
    }
}

pub async fn services(State(state): State<AppState>, Me(me): Me) -> Response {
    let (list, snapshot) = match (state.app.all_services().await, state.app.monitors().await) {
        (Ok(l), Ok(s)) => (l, s),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let mut counts: std::collections::HashMap<Uuid, (usize, usize)> = Default::default();
    for m in &snapshot.0 {
        let c = counts.entry(m.service_id).or_default();
        c.0 += 1;
        c.1 += usize::from(m.group == "down");
    }
    let services = list
        .into_iter()
        .map(|s| {
            let (n, down) = counts.get(&s.id).copied().unwrap_or_default();
            (s, n, down)
        })
        .collect();
    render(&ServicesPage {
        nav: Nav::new(&me, "services"),
        services,
    })
}

pub async fn service(State(state): State<AppState>, Me(me): Me, Path(id): Path<Uuid>) -> Response {
    let mut s = match state.app.get_service(id).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    if me.user.role < beacon_core::user::Role::Editor {
        s.ping_key = None;
    }
    let open = IncidentParams {
        status: Some("open".into()),
        limit: Some(1_000),
        ..Default::default()
    };
    let (monitors, webhooks, open) = match (
        state.app.service_monitors(&s).await,
        state.app.list_webhooks(Some(id)).await,
        state.app.list_incidents(open).await,
    ) {
        (Ok(m), Ok(w), Ok(i)) => (m, w.data, i.data),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&e),
    };
    let names: std::collections::HashMap<Uuid, &str> =
        monitors.iter().map(|m| (m.id, m.name.as_str())).collect();
    let incidents = open
        .into_iter()
        .filter_map(|i| {
            let about = i.endpoint_id.or(i.heartbeat_id)?;
            let name = (*names.get(&about)?).to_owned();
            let since = when(&i.started_at);
            Some((i, name, since))
        })
        .collect();
    let mut webhooks = webhooks;
    for w in &mut webhooks {
        crate::wire::mask_values(&mut w.headers);
    }
    render(&ServicePage {
        nav: Nav::new(&me, "services"),
        s,
        monitors,
        webhooks,
        incidents,
    })
}

fn form(nav: Nav, title: &str, action: String, cancel: String) -> FormPage {
    let mut page = FormPage::new(nav, title, action);
    page.cancel = cancel;
    page.fields = vec![
        Field::new("name", "Name", Input::Text)
            .required()
            .help("Unique; monitors are grouped under it."),
        Field::new("description", "Description", Input::Textarea),
    ];
    page
}

/// The edit form: the create form's fields, then how the service's incidents are followed up and when its
/// monitors flap, filled in with `s`'s settings (or with what was posted).
fn edit_page(
    nav: Nav,
    id: Uuid,
    s: Option<&crate::wire::ServiceView>,
    policies: &[(Uuid, String)],
) -> FormPage {
    let mut page = form(
        nav,
        &s.map_or_else(|| "Edit service".to_owned(), |s| format!("Edit {}", s.name)),
        format!("/services/{id}/edit"),
        format!("/services/{id}"),
    );
    page.fields.extend([
        Field::new("remind_every", "Remind every", Input::Text)
            .help("While an incident stays open and unacknowledged: a span from 10s to 7d (30m, 2h), or off."),
        Field::new("remind_max", "At most this many reminders", Input::Number).help("1..100 (default 10)."),
        Field::new("flap_changes", "Flapping after more than", Input::Number)
            .help("State changes within the flap window (2..100); 0 switches flapping off."),
        Field::new("flap_window", "Flap window", Input::Text).help("1m..1d, e.g. 30m."),
        Field::new(
            "escalation_policy",
            "Escalation policy",
            Input::Select(
                std::iter::once(("none".to_owned(), "None".to_owned()))
                    .chain(policies.iter().map(|(id, name)| (id.to_string(), name.clone())))
                    .collect(),
            ),
        )
        .help("Later steps reach more channels while an incident stays unacknowledged."),
    ]);
    if let Some(s) = s {
        for f in &mut page.fields {
            f.value = match f.name {
                "name" => s.name.clone(),
                "description" => s.description.clone(),
                "remind_every" => s.remind_every.clone().unwrap_or_else(|| "off".to_owned()),
                "remind_max" => s.remind_max.map(|m| m.to_string()).unwrap_or_default(),
                "flap_changes" => s.flap_changes.to_string(),
                "flap_window" => s.flap_window.clone(),
                "escalation_policy" => s
                    .escalation_policy_id
                    .map_or_else(|| "none".to_owned(), |p| p.to_string()),
                _ => continue,
            };
        }
    }
    page
}

/// Escalation policies to choose from, by id and name.
async fn policy_list(state: &AppState) -> Vec<(Uuid, String)> {
    state
        .app
        .list_policies()
        .await
        .map(|l| l.data.into_iter().map(|p| (p.id, p.name)).collect())
        .unwrap_or_default()
}

pub async fn new_form(Me(me): Me) -> Response {
    render(&form(
        Nav::new(&me, "services"),
        "New service",
        "/services/new".into(),
        "/services".into(),
    ))
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
    let body = ServiceCreate {
        name: posted.text("name").unwrap_or_default(),
        description: posted.text("description"),
    };
    match state.app.create_service(body).await {
        Ok(s) => Redirect::to(&format!("/services/{}", s.id)).into_response(),
        Err(e) => form(
            Nav::new(&me, "services"),
            "New service",
            "/services/new".into(),
            "/services".into(),
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
    match state.app.get_service(id).await {
        Ok(s) => render(&edit_page(
            Nav::new(&me, "services"),
            id,
            Some(&s),
            &policy_list(&state).await,
        )),
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
    let done = match (posted.count("remind_max"), posted.count("flap_changes")) {
        (Ok(remind_max), Ok(flap_changes)) => {
            let body = ServicePatch {
                name: Some(posted.text("name").unwrap_or_default()),
                description: Some(posted.text("description").unwrap_or_default()),
                remind_every: posted.text("remind_every"),
                remind_max,
                escalation_policy: posted.text("escalation_policy"),
                flap_changes,
                flap_window: posted.text("flap_window"),
            };
            state.app.update_service(id, body).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/services/{id}")).into_response(),
        Err(e) => edit_page(
            Nav::new(&me, "services"),
            id,
            None,
            &policy_list(&state).await,
        )
        .fill(&posted)
        .failed(&e),
    }
}

/// Delete a service with its monitors (the page asks first).
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(answer) = editor(&state, &headers, &form.csrf).await {
        return answer;
    }
    match state.app.delete_service(id, true).await {
        Ok(()) => Redirect::to("/services").into_response(),
        Err(e) => error_page(&e),
    }
}
