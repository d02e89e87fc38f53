//! Regions with the CLI, through a server and on the database directly: created once, names checked, listed
//! with how many endpoints each checks.

use crate::harness::{Home, Target};

#[test]
fn regions_are_created_once_and_listed() {
    for home in [Home::remote(), Home::sqlite()] {
        let target = Target::start();
        let sid = home.service();
        home.endpoint(&sid, &format!("{}/x", target.base), &[]);
        let made = home.json(&["regions", "create", "eu-west"]);
        assert_eq!(
            (made["name"].as_str(), made["endpoints"].as_i64()),
            (Some("eu-west"), Some(0))
        );
        let again = home.run(&["regions", "create", "eu-west"]);
        assert_eq!(again.code, 1, "a taken name: {}", again.stderr);
        assert!(again.stderr.contains("eu-west"), "{}", again.stderr);
        let bad = home.run(&["regions", "create", "EU West"]);
        assert_eq!(bad.code, 1);
        assert!(bad.stderr.contains("not a region name"), "{}", bad.stderr);
        let list = home.json(&["regions", "list"]);
        let rows: Vec<(String, i64)> = list
            .as_array()
            .expect("list")
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap_or("").to_owned(),
                    r["endpoints"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        assert_eq!(rows, [("default".to_owned(), 1), ("eu-west".to_owned(), 0)]);
        let table = home.run(&["regions", "list"]);
        assert!(
            table.stdout.contains("eu-west") && table.stdout.contains("ENDPOINTS"),
            "{}",
            table.stdout
        );
    }
}
