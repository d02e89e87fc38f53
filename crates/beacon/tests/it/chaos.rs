//! Chaos on loopback with real binaries and PostgreSQL: two servers, three workers in two regions, healthy
//! endpoints checked every second from both regions. A worker is killed, a server is killed (and comes back), the
//! leader is killed, and a worker is stopped (SIGSTOP) for longer than its leases. Afterwards: no (endpoint,
//! region) stream has a gap longer than one lease (timeout + margin) plus a little, nothing is stored twice, no
//! incident was opened for these healthy endpoints, and the leader's duties moved to the surviving server
//! within 10 s.

use crate::harness::{Home, Target, eventually, free_port, id};
use crate::workers::Worker;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server on a fixed address, so workers and the test can reach it again after a restart.
struct Fixed {
    child: Child,
    addr: String,
}

impl Fixed {
    fn start(home: &Home, addr: &str) -> Self {
        let child = home
            .command(&["server", "--listen", addr, "--no-local-worker"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("server");
        eventually(Duration::from_secs(30), "the server up", || {
            (std::net::TcpStream::connect(addr).is_ok()
                && crate::harness::http_get(&format!("http://{addr}/ready")).0 == 200)
                .then_some(())
        });
        Self {
            child,
            addr: addr.to_owned(),
        }
    }

    /// `beacon_leader` on this server, once it says anything.
    fn leads(&self) -> Option<bool> {
        if std::net::TcpStream::connect(&self.addr).is_err() {
            return None;
        }
        let (status, body) = crate::harness::http_get(&format!("http://{}/metrics", self.addr));
        (status == 200)
            .then(|| {
                body.lines()
                    .find_map(|l| l.strip_prefix("beacon_leader "))
                    .map(|v| v.trim() == "1")
            })
            .flatten()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Fixed {
    fn drop(&mut self) {
        self.kill();
    }
}

fn signal(w: &Worker, sig: &str) {
    Command::new("kill")
        .args([sig, &w.pid().to_string()])
        .status()
        .expect("kill");
}

#[test]
fn workers_and_servers_die_and_nothing_is_lost_twice_or_paged() {
    let home = Home::postgres();
    let target = Target::start();
    home.json(&["regions", "create", "eu"]);
    home.json(&["regions", "create", "us"]);
    let sid = home.service();
    let mut endpoints = Vec::new();
    for i in 0..10 {
        endpoints.push(id(&home.json(&[
            "endpoints",
            "create",
            "--service-id",
            &sid,
            "--name",
            &format!("e{i}"),
            "--url",
            &format!("{}/c{i}", target.base),
            "--interval",
            "1",
            "--timeout",
            "1",
            "--regions",
            "eu,us",
        ])));
    }
    let token = |region: &str| {
        home.json(&[
            "tokens", "create", "--name", region, "--scope", "worker", "--region", region,
        ])["token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    let (eu, us) = (token("eu"), token("us"));
    let (addr_a, addr_b) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let mut a = Fixed::start(&home, &addr_a);
    let mut b = Fixed::start(&home, &addr_b);
    let worker = |addr: &str, token: &str, name: &str| {
        Worker::start(home.command(&[
            "worker",
            "--server",
            &format!("http://{addr}"),
            "--token",
            token,
            "--name",
            name,
        ]))
    };
    let eu1 = worker(&addr_a, &eu, "eu1");
    let eu2 = worker(&addr_b, &eu, "eu2");
    let us1 = worker(&addr_a, &us, "us1");
    let began = chrono::Utc::now();
    std::thread::sleep(Duration::from_secs(4));

    // 1. A worker dies: its region's other worker takes its slots once their leases run out.
    drop(eu1);
    std::thread::sleep(Duration::from_secs(3));
    // 2. A server dies and comes back on the same address: its workers back off, keep their results, reconnect.
    a.kill();
    std::thread::sleep(Duration::from_secs(3));
    a = Fixed::start(&home, &addr_a);
    // 3. The leader dies: the other server leads within 10 s.
    let (leader, other) = eventually(Duration::from_secs(20), "one leader", || {
        match (a.leads(), b.leads()) {
            (Some(true), Some(false)) => Some(("a", "b")),
            (Some(false), Some(true)) => Some(("b", "a")),
            _ => None,
        }
    });
    let killed = Instant::now();
    let survivor = if leader == "a" {
        a.kill();
        &b
    } else {
        b.kill();
        &a
    };
    eventually(Duration::from_secs(20), "the other server leading", || {
        (survivor.leads() == Some(true)).then_some(())
    });
    let took = killed.elapsed();
    assert!(
        took <= Duration::from_secs(10) + Duration::from_secs(2),
        "leader duties moved to {other} after {took:?}"
    );
    // The workers of the dead server's address follow the survivor from now on, as behind a load balancer.
    let eu3 = worker(&survivor.addr, &eu, "eu3");
    let us2 = worker(&survivor.addr, &us, "us2");
    // 4. A worker stops for longer than its leases (1 s timeout + 15 s margin), then continues.
    signal(&eu2, "-STOP");
    std::thread::sleep(Duration::from_secs(18));
    signal(&eu2, "-CONT");
    std::thread::sleep(Duration::from_secs(4));
    let ended = chrono::Utc::now();
    drop((eu2, eu3, us1, us2));

    // Every (endpoint, region) stream: no gap beyond one lease time (+ the 5 s backoff cap and an interval).
    let lease = Duration::from_secs(1 + 15);
    for e in &endpoints {
        let pings = home.pings(e);
        let mut slots: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for p in &pings {
            let at =
                chrono::DateTime::parse_from_rfc3339(p["scheduled_at"].as_str().expect("slot"))
                    .expect("time")
                    .timestamp_millis();
            if at >= began.timestamp_millis() + 2_000 && at <= ended.timestamp_millis() - 3_000 {
                slots
                    .entry(p["region"].as_str().expect("region").to_owned())
                    .or_default()
                    .push(at);
            }
        }
        assert_eq!(slots.len(), 2, "{e}: checked from both regions");
        for (region, mut s) in slots {
            s.sort_unstable();
            let n = s.len();
            s.dedup();
            assert_eq!(s.len(), n, "{e} {region}: a slot stored twice");
            let gap = s.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
            assert!(
                gap <= i64::try_from((lease + Duration::from_secs(7)).as_millis()).expect("ms"),
                "{e} {region}: a gap of {gap} ms"
            );
        }
        assert!(
            home.incidents(e).is_empty(),
            "{e}: an incident for a healthy endpoint"
        );
    }
}
