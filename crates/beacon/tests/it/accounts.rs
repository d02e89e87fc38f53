//! Tokens and users with the CLI, on the database and through a server: secrets shown once, passwords from
//! standard input, always an admin.

use crate::harness::{Home, array, id};
use serde_json::Value;

#[test]
fn tokens_are_shown_once_listed_and_revoked() {
    for home in [Home::sqlite(), Home::remote()] {
        let created = home.json(&["tokens", "create", "--name", "ci", "--scope", "write"]);
        let token = created["token"]
            .as_str()
            .expect("token shown on create")
            .to_owned();
        assert!(token.starts_with("bcn_"));
        let listed = array(home.json(&["tokens", "list"]));
        let ci = listed.iter().find(|t| t["name"] == "ci").expect("listed");
        assert!(
            ci.get("token").is_none(),
            "the secret is never listed: {ci}"
        );
        assert_eq!(ci["scope"], "write");
        let revoked = home.json(&["tokens", "revoke", &id(&created)]);
        assert!(revoked["revoked_at"].is_string());
        let again = home.run(&["tokens", "revoke", &id(&created)]);
        assert_eq!(again.code, 1);
        assert!(again.stderr.contains("already revoked"));
        let out = home.run(&["tokens", "create", "--name", "x", "--scope", "root"]);
        assert_eq!(out.code, 1);
        assert!(out.stderr.contains("scope"), "{}", out.stderr);
    }
}

/// Run `beacon args` with `input` on standard input.
pub(crate) fn with_stdin(home: &Home, args: &[&str], input: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = home
        .command(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn users_lifecycle(home: &Home) {
    let create = |name: &str, email: &str, role: &str, pw: &str| {
        with_stdin(
            home,
            &[
                "-o",
                "json",
                "users",
                "create",
                "--name",
                name,
                "--email",
                email,
                "--role",
                role,
                "--password-stdin",
            ],
            &format!("{pw}\n"),
        )
    };
    let (code, out, err) = create("Ada", "Ada@Example.com", "admin", "correct horse battery");
    assert_eq!(code, 0, "{err}");
    let ada: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (ada["email"].as_str(), ada["role"].as_str()),
        (Some("ada@example.com"), Some("admin"))
    );
    assert!(
        ada.get("password").is_none() && !out.contains("argon2"),
        "{out}"
    );
    // Bad input names the field and stores nothing.
    for (email, role, pw, field) in [
        ("not-an-email", "viewer", "long enough pw", "email"),
        ("bob@example.com", "root", "long enough pw", "role"),
        ("bob@example.com", "viewer", "short", "password"),
        ("ada@example.com", "viewer", "long enough pw", "exists"),
    ] {
        let (code, _, err) = create("Bob", email, role, pw);
        assert_eq!(code, 1, "{email} {role}: {err}");
        assert!(err.contains(field), "{field}: {err}");
    }
    assert_eq!(array(home.json(&["users", "list"])).len(), 1);
    let (code, _, err) = create("Bob", "bob@example.com", "viewer", "another long one");
    assert_eq!(code, 0, "{err}");
    // Named by email; the last admin stays.
    let bob = home.json(&["users", "update", "bob@example.com", "--role", "editor"]);
    assert_eq!(bob["role"], "editor");
    let demote = home.run(&["users", "update", "ada@example.com", "--role", "viewer"]);
    assert_eq!(demote.code, 1, "{}", demote.stderr);
    assert!(demote.stderr.contains("no admin"), "{}", demote.stderr);
    let delete = home.run(&["users", "delete", "ada@example.com"]);
    assert_eq!(delete.code, 1);
    let (code, _, err) = with_stdin(
        home,
        &[
            "users",
            "set-password",
            "bob@example.com",
            "--password-stdin",
        ],
        "a new password\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(home.run(&["users", "delete", "bob@example.com"]).code, 0);
    assert_eq!(array(home.json(&["users", "list"])).len(), 1);
}

#[test]
fn users_on_the_database_and_through_a_server() {
    users_lifecycle(&Home::sqlite());
    let remote = Home::remote();
    users_lifecycle(&remote);
    // Users are an admin's business: a write token gets 403.
    let token = remote.json(&["tokens", "create", "--name", "ci", "--scope", "write"])["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let listed = remote
        .command(&["users", "list"])
        .env("BEACON_TOKEN", &token)
        .output()
        .expect("runs");
    assert_eq!(listed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&listed.stderr).contains("admin"));
}
