//! The CLI in its environment: exit codes for bad environments and unreachable servers, migrations, private
//! files, no database made without --init, online backups.

use crate::harness::{Home, refused_url};

#[test]
fn remote_errors_exit_with_the_right_code() {
    let home = Home::remote();
    let out = home.run(&[
        "services",
        "list",
        "--token",
        "bcn_00000000000000000000000000000000_nope",
    ]);
    assert_eq!(
        out.code, 1,
        "a bad token is the user's to fix: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("invalid or revoked API token"),
        "{}",
        out.stderr
    );
    let read = home.json(&["tokens", "create", "--name", "ro", "--scope", "read"]);
    let token = read["token"].as_str().expect("token").to_owned();
    let out = home.run(&["services", "create", "--name", "x", "--token", &token]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("scope read"), "{}", out.stderr);
    assert_eq!(
        home.run(&["services", "list", "--token", &token]).code,
        0,
        "read scope reads"
    );

    let gone = refused_url();
    let out = home.run(&["services", "list", "--server", &gone]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(gone.trim_end_matches('/')),
        "names the URL: {}",
        out.stderr
    );
}

#[test]
fn bad_environment_exits_2_and_writes_nothing() {
    let home = Home::sqlite();
    // A data dir below a regular file cannot be created (even by root).
    let file = home.dir.join("plain-file");
    std::fs::write(&file, "x").expect("write");
    let bad_dir = file.join("data");
    let out = home.run(&[
        "services",
        "list",
        "--data-dir",
        bad_dir.to_str().expect("utf8"),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot create data directory"),
        "{}",
        out.stderr
    );

    let out = home.run(&[
        "services",
        "list",
        "--database",
        "postgres://postgres@127.0.0.1:1/none",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("127.0.0.1:1") || out.stderr.contains("connect"),
        "{}",
        out.stderr
    );

    let out = home.run(&["services", "list", "--database", "mysql://x/y"]);
    assert_eq!(out.code, 1, "an invalid URL is bad input: {}", out.stderr);
    assert!(
        out.stderr.contains("invalid database URL"),
        "{}",
        out.stderr
    );
    assert!(
        !home.dir.join("data").exists(),
        "nothing created for failed commands"
    );

    // Port in use: exit 2, naming the address, before anything is written.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = home.run(&["server", "--listen", &addr]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains(&addr), "{}", out.stderr);
    assert!(!home.dir.join("data").exists());

    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(&cfg, "listen: 127.0.0.1:0\nwokrer:\n  concurrency: 2\n").expect("write");
    let out = home.run(&["server", "--config", cfg.to_str().expect("utf8")]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("wokrer"),
        "a typo in the config is named: {}",
        out.stderr
    );
}

#[test]
fn migrate_applies_and_is_idempotent() {
    let home = Home::sqlite();
    assert_eq!(home.run(&["migrate"]).code, 0);
    assert!(home.dir.join("data/beacon.db").exists());
    assert_eq!(home.run(&["migrate"]).code, 0);
}

/// The database holds webhook secrets: the data directory Beacon creates is 0700, the database and its WAL files
/// 0600; a database an earlier version left world-readable is narrowed.
#[test]
fn the_data_dir_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::sqlite();
    let out = home.run(&["services", "create", "--name", "shop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mode = |p: &str| {
        std::fs::metadata(home.dir.join(p))
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("data"), 0o700);
    for file in ["data/beacon.db", "data/beacon.db-wal", "data/beacon.db-shm"] {
        if home.dir.join(file).exists() {
            assert_eq!(mode(file), 0o600, "{file}");
        }
    }
    assert_eq!(mode("data/beacon.db"), 0o600);
    let db = home.dir.join("data/beacon.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_eq!(home.run(&["services", "list"]).code, 0);
    assert_eq!(mode("data/beacon.db"), 0o600, "narrowed on the next open");
}

/// `--server host:port` without a scheme means http; another scheme is explained; a server that wants a token
/// the CLI did not find says where it looked and how to give one.
#[test]
fn server_urls_and_missing_tokens_are_explained() {
    let home = Home::remote();
    let addr = home.remote.as_ref().expect("server").addr.to_string();
    let out = home.run(&["services", "list", "--server", &addr]);
    assert_eq!(out.code, 0, "host:port alone is http: {}", out.stderr);

    let out = home.run(&["services", "list", "--server", "ftp://127.0.0.1:21"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("http:// or https://"), "{}", out.stderr);

    let elsewhere = home.dir.join("elsewhere");
    let o = home
        .command(&["services", "list", "--server", &format!("http://{addr}")])
        .env("BEACON_DATA_DIR", &elsewhere)
        .output()
        .expect("beacon runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--token")
            && stderr.contains("BEACON_TOKEN")
            && stderr.contains(&elsewhere.join("admin-token").display().to_string()),
        "{stderr}"
    );
    assert!(
        !elsewhere.exists(),
        "a remote command creates nothing locally"
    );
}

#[test]
fn commands_never_create_a_database_without_init() {
    let home = Home::sqlite();
    let db = home.dir.join("data/beacon.db");
    for args in [
        &["services", "list"][..],
        &["endpoints", "list"],
        &["services", "create", "--name", "x"],
        &["cleanup"],
    ] {
        let out = home
            .command(args)
            .env_remove("BEACON_INIT")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no Beacon database at") && stderr.contains("--init"),
            "{args:?}: {stderr}"
        );
        assert!(!db.exists(), "{args:?} created {}", db.display());
    }
    // With --init it does; afterwards no flag is needed.
    let out = home
        .command(&["--init", "services", "create", "--name", "x"])
        .env_remove("BEACON_INIT")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(db.exists());
    let out = home
        .command(&["services", "list"])
        .env_remove("BEACON_INIT")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn backup_copies_the_database_online() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::remote();
    home.json(&["services", "create", "--name", "kept"]);
    let to = home.dir.join("copy.db");
    let to_s = to.to_str().expect("utf8");
    // While the server runs on the database.
    let out = home.run_direct(&["backup", "--to", to_s]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("backed up"), "{}", out.stderr);
    let mode = std::fs::metadata(&to).expect("copy").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy holds secrets");
    // The copy is a complete database.
    let copied = home
        .command(&["-o", "json", "services", "list"])
        .env_remove("BEACON_URL")
        .env("DATABASE_URL", format!("sqlite://{to_s}"))
        .env_remove("BEACON_INIT")
        .output()
        .expect("runs");
    assert_eq!(
        copied.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert!(String::from_utf8_lossy(&copied.stdout).contains("\"kept\""));
    // Never over an existing file; PostgreSQL is pg_dump's job.
    let again = home.run_direct(&["backup", "--to", to_s]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    let pg = home
        .command(&["backup", "--to", "/tmp/x.db"])
        .env_remove("BEACON_URL")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
        .output()
        .expect("runs");
    assert_eq!(pg.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"));
}
