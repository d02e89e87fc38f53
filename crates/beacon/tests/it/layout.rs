//! The shape of the source tree, as ARCHITECTURE.md and STYLE promise it: every Rust file starts with a `//!`
//! line saying its role, and no store source file grows past ~700 lines (the size at which the old one-macro
//! store stopped being readable).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/")
        .to_path_buf()
}

#[test]
fn every_source_file_says_its_role() {
    let mut files = Vec::new();
    for krate in std::fs::read_dir(crates_dir()).expect("crates") {
        let krate = krate.expect("crate").path();
        rust_files(&krate.join("src"), &mut files);
        rust_files(&krate.join("tests"), &mut files);
        rust_files(&krate.join("benches"), &mut files);
    }
    assert!(files.len() > 50, "found only {} files", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("read");
            !text.starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` header: {missing:#?}"
    );
}

#[test]
fn store_source_files_stay_small() {
    let mut files = Vec::new();
    rust_files(&crates_dir().join("beacon-store").join("src"), &mut files);
    let long: Vec<(String, usize)> = files
        .iter()
        .map(|f| {
            let lines = std::fs::read_to_string(f).expect("read").lines().count();
            (f.display().to_string(), lines)
        })
        .filter(|(_, lines)| *lines > 700)
        .collect();
    assert!(long.is_empty(), "store files over 700 lines: {long:?}");
}
