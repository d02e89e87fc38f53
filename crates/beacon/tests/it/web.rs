//! A browser without a browser, for the dashboard's tests over real HTTP: cookies kept between requests, forms
//! posted URL-encoded, CSRF tokens read off pages; users made with the CLI and signed in.

use crate::harness::{Home, Resp, http};

/// A browser's memory for one test: the base URL and the cookies the server set.
pub struct Browser {
    pub base: String,
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn new(home: &Home) -> Self {
        Self {
            base: format!("http://{}", home.remote.as_ref().expect("server").addr),
            cookies: Vec::new(),
        }
    }

    fn keep_cookies(&mut self, r: &Resp) {
        for line in r.headers.lines() {
            if let Some(v) = line
                .strip_prefix("set-cookie: ")
                .or_else(|| line.strip_prefix("Set-Cookie: "))
            {
                let pair = v.split(';').next().unwrap_or("");
                if let Some((k, val)) = pair.split_once('=') {
                    self.cookies.retain(|(n, _)| n != k);
                    if !val.is_empty() {
                        self.cookies.push((k.to_owned(), val.to_owned()));
                    }
                }
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn get(&mut self, path: &str) -> Resp {
        let cookie = self.cookie_header();
        let r = http(
            &format!("{}{path}", self.base),
            "GET",
            &[("Cookie", &cookie)],
            None,
        );
        self.keep_cookies(&r);
        r
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let cookie = self.cookie_header();
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let r = http(
            &format!("{}{path}", self.base),
            "POST",
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        );
        self.keep_cookies(&r);
        r
    }
}

pub fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn location(r: &Resp) -> String {
    r.headers
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// The CSRF token a page's form carries.
pub fn csrf(page: &Resp) -> String {
    page.body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no csrf field in {}", page.body))
        .to_owned()
}

/// A user made with `beacon users create`, password "long enough pw".
pub fn make_user(home: &Home, email: &str, role: &str) {
    use std::io::Write;
    let mut cmd = home.command(&[
        "users",
        "create",
        "--name",
        email,
        "--email",
        email,
        "--role",
        role,
        "--password-stdin",
    ]);
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"long enough pw\n")
        .expect("write");
    assert!(child.wait().expect("wait").success());
}

/// A browser signed in as `email` (password "long enough pw").
pub fn sign_in(home: &Home, email: &str) -> Browser {
    let mut b = Browser::new(home);
    let token = csrf(&b.get("/sign-in"));
    let r = b.post(
        "/sign-in",
        &[
            ("csrf", &token),
            ("email", email),
            ("password", "long enough pw"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    b
}
