//! Status pages in the dashboard: the list with their public addresses, and the create, edit and delete forms
//! (editors and admins). The public pages themselves are in `public.rs`.

use super::form::{Field, FormPage, Input, Posted};
use super::*;
use crate::api::StatusPageOps;
use crate::wire::{ServiceView, StatusPageCreate, StatusPagePatch, StatusPageView};
use axum::Form;
use axum::extract::{Path, State};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "status_pages.html")]
struct StatusPagesPage {
    nav: Nav,
    pages: Vec<StatusPageView>,
}

pub async fn list(State(state): State<AppState>, Me(me): Me) -> Response {
    match state.app.list_status_pages().await {
        Ok(l) => render(&StatusPagesPage {
            nav: Nav::new(&me, "status-pages"),
            pages: l.data,
        }),
        Err(e) => error_page(&e),
    }
}

fn form(
    nav: Nav,
    title: String,
    action: String,
    services: &[ServiceView],
    chosen: &[Uuid],
) -> FormPage {
    let mut page = FormPage::new(nav, title, action);
    page.cancel = "/status-pages".into();
    page.intro =
        "Anyone may open a status page without signing in: it shows the services you pick, their \
                  monitors' names, statuses and uptime, and incidents — nothing else."
            .into();
    page.fields = vec![
        Field::new("slug", "Slug", Input::Text)
            .required()
            .help("Its address: /status/<slug> (a-z, 0-9, '-', '_', '.')."),
        Field::new("title", "Title", Input::Text).required(),
        Field::new("description", "Description", Input::Textarea),
        Field::new(
            "service",
            "Services shown",
            Input::Checks(
                services
                    .iter()
                    .map(|s| (s.id.to_string(), s.name.clone(), chosen.contains(&s.id)))
                    .collect(),
            ),
        ),
        Field::new(
            "show_urls",
            "Show the checked URLs (scheme, host and path only)",
            Input::Check,
        ),
    ];
    page
}

fn chosen(posted: &Posted) -> Result<Vec<Uuid>, ApiError> {
    posted
        .all("service")
        .into_iter()
        .map(|s| {
            Uuid::try_parse(s).map_err(|_| {
                ApiError::unprocessable(format!("{s:?} is not a service id")).with_field("service")
            })
        })
        .collect()
}

pub async fn new_form(State(state): State<AppState>, Me(me): Me) -> Response {
    match state.app.all_services().await {
        Ok(services) => render(&form(
            Nav::new(&me, "status-pages"),
            "New status page".into(),
            "/status-pages/new".into(),
            &services,
            &[],
        )),
        Err(e) => error_page(&e),
    }
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
    let services = match state.app.all_services().await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let done = match chosen(&posted) {
        Ok(ids) => {
            state
                .app
                .create_status_page(StatusPageCreate {
                    slug: posted.text("slug").unwrap_or_default(),
                    title: posted.text("title").unwrap_or_default(),
                    description: posted.text("description"),
                    show_urls: Some(posted.ticked("show_urls")),
                    services: ids,
                })
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to("/status-pages").into_response(),
        Err(e) => form(
            Nav::new(&me, "status-pages"),
            "New status page".into(),
            "/status-pages/new".into(),
            &services,
            &[],
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
    let (p, services) = match (
        state.app.get_status_page(id).await,
        state.app.all_services().await,
    ) {
        (Ok(p), Ok(s)) => (p, s),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let mut page = form(
        Nav::new(&me, "status-pages"),
        format!("Edit {}", p.title),
        format!("/status-pages/{id}/edit"),
        &services,
        &p.services,
    );
    for f in &mut page.fields {
        f.value = match f.name {
            "slug" => p.slug.clone(),
            "title" => p.title.clone(),
            "description" => p.description.clone(),
            "show_urls" => if p.show_urls { "on" } else { "" }.into(),
            _ => continue,
        };
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
    let services = match state.app.all_services().await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let done = match chosen(&posted) {
        Ok(ids) => {
            state
                .app
                .update_status_page(
                    id,
                    StatusPagePatch {
                        slug: Some(posted.text("slug").unwrap_or_default()),
                        title: Some(posted.text("title").unwrap_or_default()),
                        description: Some(posted.text("description").unwrap_or_default()),
                        show_urls: Some(posted.ticked("show_urls")),
                        services: Some(ids),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to("/status-pages").into_response(),
        Err(e) => form(
            Nav::new(&me, "status-pages"),
            "Edit status page".into(),
            format!("/status-pages/{id}/edit"),
            &services,
            &[],
        )
        .fill(&posted)
        .failed(&e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(answer) = editor(&state, &headers, &form.csrf).await {
        return answer;
    }
    match state.app.delete_status_page(id).await {
        Ok(()) => Redirect::to("/status-pages").into_response(),
        Err(e) => error_page(&e),
    }
}
