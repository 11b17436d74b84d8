//! What a platform team relies on: a request log by default, JSON logs, and a backup that is
//! consistent while the portal serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::crash::{Portal, folders, free_port};
use crate::helpers::{TestPortal, captured_logs};

#[tokio::test]
async fn every_request_is_logged_at_info_and_probes_at_debug() {
    let portal = TestPortal::start().await;
    let request_id = "operations-log-check";
    portal
        .get("/api/session", "viewer-token")
        .header("x-request-id", request_id)
        .send()
        .await
        .unwrap();
    portal
        .client
        .get(format!("{}/healthz", portal.url))
        .header("x-request-id", "operations-probe-check")
        .send()
        .await
        .unwrap();
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    let line = |id: &str| {
        logs.lines()
            .find(|line| line.contains(id) && line.contains("answered"))
            .unwrap_or_else(|| panic!("no answer logged for {id}"))
            .to_owned()
    };
    let session = line(request_id);
    assert!(session.contains(" INFO "), "{session}");
    assert!(
        session.contains("status=200") && session.contains("route=/api/session"),
        "{session}"
    );
    assert!(line("operations-probe-check").contains(" DEBUG "));
}

#[tokio::test]
async fn json_logs_are_one_object_a_line() {
    let port = free_port();
    let (data, _) = folders();
    let mut emulator = Command::new(env!("CARGO_BIN_EXE_adhoc-portal"))
        .args([
            "--log-format",
            "json",
            "emulator",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--data-dir")
        .arg(data.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(emulator.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = emulator.kill();
    let _ = emulator.wait();
    let line: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{first:?}: {e}"));
    assert_eq!(line["level"], "INFO", "{line}");
    assert!(
        line["message"]
            .as_str()
            .unwrap()
            .starts_with("emulated IMS and Platform at"),
        "{line}"
    );
    assert!(line["timestamp"].is_string(), "{line}");
}

#[tokio::test]
async fn a_backup_taken_while_serving_holds_every_answered_activation() {
    let (data, dist) = folders();
    let portal = Portal::start(data.path(), dist.path()).await;
    let client = reqwest::Client::new();
    let answered = portal
        .activate_each(&client, "Data lake (Azure Blob)", 3)
        .await;
    assert_eq!(answered.len(), 3, "every activation answered 200");
    let copy = data.path().join("copy.sqlite");
    let backup = |to: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_adhoc-portal"))
            .args(["backup", "--to"])
            .arg(to)
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap()
    };
    let made = backup(&copy);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // The portal still serves: the copy is a snapshot, not the live file.
    let copied = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", copy.display()))
        .await
        .unwrap();
    for id in &answered {
        let outcome: String = sqlx::query_scalar("SELECT outcome FROM activations WHERE id = ?")
            .bind(id)
            .fetch_one(&copied)
            .await
            .unwrap_or_else(|e| panic!("{id} is not in the backup: {e}"));
        assert_eq!(outcome, "accepted");
    }
    let again = backup(&copy);
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let postgres = Command::new(env!("CARGO_BIN_EXE_adhoc-portal"))
        .args([
            "backup",
            "--to",
            "x.sql",
            "--database-url",
            "postgres://u@127.0.0.1:1/db",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&postgres.stderr).contains("pg_dump"));
}
