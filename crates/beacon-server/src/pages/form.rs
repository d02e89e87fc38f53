//! One form page for every create and edit form (services, endpoints, heartbeats, webhooks, users, tokens,
//! status pages). A form is a list of fields named as the CLI's flags and the validation errors name them, so an
//! error from `App` lands under its field; a form shown again keeps what was typed.

use super::*;

/// How a field is typed in.
pub enum Input {
    Text,
    Url,
    Number,
    Password,
    Textarea,
    /// (value, label)
    Select(Vec<(String, String)>),
    /// A single checkbox; `value` is "on" when ticked.
    Check,
    /// Several checkboxes under one name: (value, label, ticked).
    Checks(Vec<(String, String, bool)>),
    /// Sent with the form, not shown.
    Hidden,
}

pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub input: Input,
    pub value: String,
    pub required: bool,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, input: Input) -> Self {
        Self {
            name,
            label,
            help: "",
            input,
            value: String::new(),
            required: false,
        }
    }
    pub fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn checked(&self) -> bool {
        self.value == "on"
    }
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub nav: Nav,
    pub title: String,
    pub intro: String,
    pub action: String,
    pub submit: &'static str,
    pub cancel: String,
    pub fields: Vec<Field>,
    /// The field at fault (empty: none, or one not on the form, then the error shows above the fields).
    pub error_field: String,
    pub error: String,
    /// Heartbeat forms: the next due times of the schedule as typed, updated while typing.
    pub preview: Option<String>,
    /// Links to the same form for another kind: (label, href, whether it is this one).
    pub tabs: Vec<(String, String, bool)>,
}

impl FormPage {
    pub fn new(nav: Nav, title: impl Into<String>, action: impl Into<String>) -> Self {
        Self {
            nav,
            title: title.into(),
            intro: String::new(),
            action: action.into(),
            submit: "Save",
            cancel: "/".into(),
            fields: Vec::new(),
            error_field: String::new(),
            error: String::new(),
            preview: None,
            tabs: Vec::new(),
        }
    }

    /// The values typed into the fields (a field not posted keeps its value, a checkbox not posted is unticked).
    pub fn fill(mut self, posted: &Posted) -> Self {
        for f in &mut self.fields {
            match &mut f.input {
                Input::Check => f.value = if posted.ticked(f.name) { "on" } else { "" }.into(),
                Input::Checks(options) => {
                    let chosen = posted.all(f.name);
                    for (value, _, ticked) in options.iter_mut() {
                        *ticked = chosen.contains(&value.as_str());
                    }
                }
                _ => {
                    if let Some(v) = posted.get(f.name) {
                        f.value = v.to_owned();
                    }
                }
            }
        }
        self
    }

    /// The form again with the error under its field, answered 422 (or the error page for a server fault).
    pub fn failed(mut self, e: &ApiError) -> Response {
        if !e.is_client_error() {
            return error_page(e);
        }
        self.error_field = e.field.clone().unwrap_or_default();
        self.error = e.message.clone();
        let mut resp = render(&self);
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        resp
    }

    /// Whether the error belongs to no field on the form (then it is shown above them).
    pub fn general_error(&self) -> bool {
        !self.error.is_empty() && !self.fields.iter().any(|f| f.name == self.error_field)
    }
}

/// A posted form as its (name, value) pairs, in order; repeated names (checkbox groups) keep every value.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Posted(pub Vec<(String, String)>);

impl Posted {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn csrf(&self) -> &str {
        self.get("csrf").unwrap_or("")
    }
    /// The trimmed text, None when empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
    pub fn ticked(&self, name: &str) -> bool {
        matches!(self.get(name), Some("on" | "true" | "1"))
    }
    /// A whole number, None when empty, an error naming the field otherwise.
    pub fn int(&self, name: &'static str) -> Result<Option<i64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::unprocessable(format!("{v:?} is not a whole number")).with_field(name)
                })
            })
            .transpose()
    }
    /// A count (a whole number not below 0), None when empty, an error naming the field otherwise.
    pub fn count(&self, name: &'static str) -> Result<Option<u32>, ApiError> {
        self.int(name)?
            .map(|n| {
                u32::try_from(n)
                    .map_err(|_| ApiError::unprocessable("must not be negative").with_field(name))
            })
            .transpose()
    }
    /// A number with decimals, None when empty.
    pub fn number(&self, name: &'static str) -> Result<Option<f64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| {
                        ApiError::unprocessable(format!("{v:?} is not a number")).with_field(name)
                    })
            })
            .transpose()
    }
    /// `Name: value` lines as a header map, each validated as the CLI's `--header` is.
    pub fn headers(
        &self,
        name: &'static str,
    ) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
        let mut map = std::collections::BTreeMap::new();
        for line in self.get(name).unwrap_or("").lines() {
            if line.trim().is_empty() {
                continue;
            }
            let h: beacon_core::endpoint::Header = line
                .parse()
                .map_err(|e: beacon_core::ValidationError| ApiError::from(e).with_field(name))?;
            map.insert(h.name, h.value);
        }
        Ok(map)
    }
}

/// Header lines for a textarea, one `Name: value` per line.
pub fn header_lines(headers: &std::collections::BTreeMap<String, String>) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}
