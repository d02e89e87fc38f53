//! Several servers on one PostgreSQL database: exactly one holds the leader lease (and runs the once-per-database
//! duties); when it is killed, another takes over once the lease has run out. A server may run no checks.

use crate::harness::{Home, Server, eventually};
use std::time::Duration;

/// What a server's `beacon_leader` gauge says, once it has said anything.
fn leads(s: &Server) -> Option<bool> {
    let (status, body) = s.get("/metrics");
    if status != 200 {
        return None;
    }
    body.lines()
        .find_map(|l| l.strip_prefix("beacon_leader "))
        .map(|v| v.trim() == "1")
}

#[test]
fn one_server_leads_and_another_takes_over_when_it_dies() {
    let home = Home::postgres();
    let a = home.server(&[]);
    let b = home.server(&[]);
    let first_a = eventually(Duration::from_secs(30), "one leader of two", || {
        match (leads(&a), leads(&b)) {
            (Some(x), Some(y)) if x != y => Some(x),
            _ => None,
        }
    });
    let (leader, other) = if first_a { (a, b) } else { (b, a) };
    // Still one leader a few renewals later.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!((leads(&leader), leads(&other)), (Some(true), Some(false)));
    // SIGKILL: no lease given up; the other server waits for it to run out, then leads.
    leader.kill();
    eventually(Duration::from_secs(30), "the other server leading", || {
        (leads(&other) == Some(true)).then_some(())
    });
}

/// A control-plane server (`--no-local-worker`) serves the API but checks nothing; a second, ordinary server on
/// the same database runs the checks.
#[test]
fn a_server_without_a_local_worker_runs_no_checks() {
    let home = Home::postgres();
    let target = crate::harness::Target::start();
    let sid = home.service();
    let endpoint = home.endpoint(&sid, &format!("{}/cp", target.base), &["--interval", "1"]);
    let control = home.server(&["--no-local-worker"]);
    assert_eq!(control.get("/ready").0, 200);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(target.hits("/cp"), 0, "the control plane checked");
    assert!(home.pings(&endpoint).is_empty());
    assert!(control.log.lock().expect("log").contains("no local worker"));
    let _worker = home.server(&[]);
    eventually(
        Duration::from_secs(20),
        "checks from the other server",
        || (target.hits("/cp") > 0 && !home.pings(&endpoint).is_empty()).then_some(()),
    );
}
