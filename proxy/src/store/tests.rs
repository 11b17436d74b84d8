//! The store's rules, checked on each backend: SQLite always, PostgreSQL when
//! `ADHOC_PORTAL_TEST_POSTGRES_URL` names a server (`cargo xtask test` starts one).

use std::sync::Arc;
use std::time::Duration;

use shared::portal::{HistoryRecord, Names, Outcome, PlanInfo};
use shared::time::EpochMillis;

use super::*;

/// One backend under test, with the raw SQL a tampering user could send.
struct Backend {
    name: &'static str,
    store: Arc<dyn HistoryStore>,
    /// Opens a second process's view of the same database (another replica).
    database: Database,
    raw: Raw,
    _folder: tempfile::TempDir,
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Self::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        }
    }
}

pub fn postgres_server() -> Option<String> {
    std::env::var("ADHOC_PORTAL_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

async fn backends() -> Vec<Backend> {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("history.sqlite");
    let sqlite = Database::Sqlite(file.clone());
    let mut backends = vec![Backend {
        name: "SQLite",
        store: sqlite.open().await.unwrap(),
        raw: Raw::Sqlite(
            sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
                .await
                .unwrap(),
        ),
        database: sqlite,
        _folder: folder,
    }];
    match postgres_server() {
        Some(server) => {
            let url = postgres::fresh_database(&server).await.unwrap();
            let database = Database::Postgres(url.clone());
            backends.push(Backend {
                name: "PostgreSQL",
                store: database.open().await.unwrap(),
                raw: Raw::Postgres(sqlx::PgPool::connect(&url).await.unwrap()),
                database,
                _folder: tempfile::tempdir().unwrap(),
            });
        }
        None => eprintln!("PostgreSQL not checked: ADHOC_PORTAL_TEST_POSTGRES_URL is not set"),
    }
    backends
}

fn record(id: &str, segment: &str) -> HistoryRecord {
    HistoryRecord {
        id: id.into(),
        created_at: EpochMillis(1_000),
        user: "marketer".into(),
        activation_info: [("flow".to_owned(), vec![segment.to_owned()])].into(),
        outcome: Outcome::Pending,
        orders: Vec::new(),
        error: None,
        warnings: Vec::new(),
        names: Names::default(),
        runs: None,
        plan: PlanInfo::default(),
    }
}

async fn in_flight_segments(store: &dyn HistoryStore, facts_read_from: i64) -> Vec<String> {
    let mut segments: Vec<String> = store
        .in_flight(EpochMillis(facts_read_from))
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.segment_id)
        .collect();
    segments.sort();
    segments
}

#[tokio::test]
async fn an_activation_accepted_while_the_facts_were_read_counts_as_in_flight() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        for (id, segment, hash) in [
            ("early", "a", "h1"),
            ("late", "b", "h2"),
            ("sending", "c", "h3"),
        ] {
            store
                .insert(&record(id, segment), None, hash, None)
                .await
                .unwrap();
        }
        for (id, at) in [("early", 2_000), ("late", 5_000)] {
            store
                .record_answer(id, Outcome::Accepted, &[], None, None, EpochMillis(at))
                .await
                .unwrap();
        }
        // Facts read from 4,000 show the early run but may miss the late one.
        assert_eq!(
            in_flight_segments(store, 4_000).await,
            ["b", "c"],
            "{}",
            backend.name
        );
        assert_eq!(
            in_flight_segments(store, 1_500).await,
            ["a", "b", "c"],
            "{}",
            backend.name
        );
        assert_eq!(
            in_flight_segments(store, 6_000).await,
            ["c"],
            "{}",
            backend.name
        );
    }
}

#[tokio::test]
async fn who_asked_for_what_can_be_neither_changed_nor_deleted() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        store
            .insert(&record("audited", "a"), None, "hash", None)
            .await
            .unwrap();
        for tampering in [
            "UPDATE activations SET user_name = 'someone-else' WHERE id = 'audited'",
            "UPDATE activations SET activation_info = '{}' WHERE id = 'audited'",
            "UPDATE activations SET names = '{}' WHERE id = 'audited'",
            "UPDATE activation_entries SET segment_id = 'b'",
            "DELETE FROM activation_entries",
            "DELETE FROM activations",
        ] {
            let refused = backend.raw.execute(tampering).await;
            assert!(refused.is_err(), "{}: {tampering}", backend.name);
        }
        store
            .record_answer(
                "audited",
                Outcome::Accepted,
                &[],
                None,
                None,
                EpochMillis(2_000),
            )
            .await
            .expect("the outcome is still recorded");
        let kept = store.get("audited").await.unwrap().unwrap();
        assert_eq!(kept.user, "marketer", "{}", backend.name);
        assert_eq!(kept.outcome, Outcome::Accepted, "{}", backend.name);
    }
}

#[tokio::test]
async fn the_sqlite_history_is_private_to_the_portal_user() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("history.sqlite");
    SqliteStore::open(&file).await.unwrap();
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test]
async fn the_first_answer_is_kept_whatever_is_learnt_later() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        store
            .insert(&record("timed-out", "a"), Some("key"), "hash", None)
            .await
            .unwrap();
        let told = FirstAnswer {
            status: 504,
            body: r#"{"code":"OUTCOME_UNKNOWN"}"#.into(),
        };
        store
            .record_answer(
                "timed-out",
                Outcome::Unknown,
                &[],
                None,
                Some(&told),
                EpochMillis(2_000),
            )
            .await
            .unwrap();
        // The reconciler finds the run later: the record changes, the first answer does not.
        store
            .record_answer(
                "timed-out",
                Outcome::Accepted,
                &[],
                None,
                None,
                EpochMillis(3_000),
            )
            .await
            .unwrap();
        let keyed = store.by_idempotency_key("key").await.unwrap().unwrap();
        assert_eq!(keyed.record.outcome, Outcome::Accepted, "{}", backend.name);
        assert_eq!(keyed.first_answer, Some(told), "{}", backend.name);
        assert_eq!(keyed.request_hash, "hash", "{}", backend.name);
    }
}

#[tokio::test]
async fn the_history_pages_and_filters_alike_on_each_backend() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        for n in 0..5 {
            let mut record = record(&format!("r{n}"), if n % 2 == 0 { "even" } else { "odd" });
            record.created_at = EpochMillis(1_000 + n);
            record.names.segments.insert(
                record.activation_info["flow"][0].clone(),
                format!("Segment Nº{n}"),
            );
            store.insert(&record, None, "h", None).await.unwrap();
        }
        let first = store
            .list(&HistoryQuery {
                limit: Some(2),
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<&str> = first.items.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["r4", "r3"], "{}", backend.name);
        let second = store
            .list(&HistoryQuery {
                limit: Some(2),
                cursor: first.next_cursor,
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<&str> = second.items.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["r2", "r1"], "{}", backend.name);
        let by_name = store
            .list(&HistoryQuery {
                segment: Some("nº3".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            by_name.items.len(),
            1,
            "{}: a part of the name, any case",
            backend.name
        );
        let days = store.daily(&HistoryQuery::default(), 0).await.unwrap();
        assert_eq!(days.len(), 1, "{}", backend.name);
        assert_eq!(
            (days[0].day.as_str(), days[0].other),
            ("1970-01-01", 5),
            "{}",
            backend.name
        );
    }
}

#[tokio::test]
async fn a_shared_key_is_held_across_processes_and_disjoint_keys_are_not() {
    for backend in backends().await {
        // Another process on the same database: another replica on PostgreSQL. (One SQLite file
        // has one process; its keys are held in that process.)
        let other = match &backend.database {
            Database::Postgres(_) => backend.database.open().await.unwrap(),
            Database::Sqlite(_) => backend.store.clone(),
        };
        let keys =
            |names: &[&str]| -> Vec<String> { names.iter().map(|n| (*n).to_owned()).collect() };
        let held = backend
            .store
            .lock(&keys(&["segment a", "segment b"]))
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), other.lock(&keys(&["segment c"])))
            .await
            .unwrap_or_else(|_| panic!("{}: a disjoint key waited", backend.name))
            .unwrap();
        let waiting = tokio::spawn({
            let other = other.clone();
            let keys = keys(&["segment b"]);
            async move { other.lock(&keys).await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !waiting.is_finished(),
            "{}: a shared key did not wait",
            backend.name
        );
        drop(held);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap_or_else(|_| panic!("{}: the released key stayed held", backend.name))
            .unwrap()
            .unwrap();
    }
}

/// The activation path's critical section, raced by three processes: under the lock, a segment
/// found in flight is not written again, so each segment is written once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_then_insert_under_the_lock_admits_one_activation_per_segment() {
    for backend in backends().await {
        let mut replicas = vec![backend.store.clone()];
        if let Database::Postgres(_) = &backend.database {
            for _ in 0..2 {
                replicas.push(backend.database.open().await.unwrap());
            }
        }
        let racing: Vec<_> = (0..60)
            .map(|n| {
                let store = replicas[n % replicas.len()].clone();
                tokio::spawn(async move {
                    let segment = format!("s{}", n % 5);
                    let _held = store
                        .lock(&activation_keys([segment.as_str()].into_iter(), None))
                        .await
                        .unwrap();
                    let busy = store.in_flight(EpochMillis(0)).await.unwrap();
                    if busy.iter().all(|entry| entry.segment_id != segment) {
                        store
                            .insert(&record(&format!("r{n}"), &segment), None, "h", None)
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for task in racing {
            task.await.unwrap();
        }
        let written = backend
            .store
            .list(&HistoryQuery {
                limit: Some(200),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(written.items.len(), 5, "{}: one per segment", backend.name);
    }
}

#[tokio::test]
async fn a_job_is_done_by_one_process_at_a_time() {
    for backend in backends().await {
        let other = match &backend.database {
            Database::Postgres(_) => backend.database.open().await.unwrap(),
            Database::Sqlite(_) => backend.store.clone(),
        };
        let held = backend
            .store
            .try_job("reconcile")
            .await
            .unwrap()
            .expect("a free job is taken");
        assert!(
            other.try_job("reconcile").await.unwrap().is_none(),
            "{}: taken twice",
            backend.name
        );
        assert!(
            other.try_job("plans").await.unwrap().is_some(),
            "{}: another job is free",
            backend.name
        );
        drop(held);
        // PostgreSQL lets go when the dropped transaction's rollback reaches the server.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while other.try_job("reconcile").await.unwrap().is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: never released",
                backend.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn a_pending_activation_is_orphaned_when_its_sender_stops_beating() {
    for backend in backends().await {
        let sender = backend.store.as_ref();
        sender.heartbeat(EpochMillis(10_000)).await.unwrap();
        sender
            .insert(&record("sending", "a"), None, "h", None)
            .await
            .unwrap();
        let orphans = |now: i64, sent_before: i64| {
            let store = backend.store.clone();
            async move {
                store
                    .orphaned_pending(EpochMillis(now), EpochMillis(sent_before))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.id)
                    .collect::<Vec<_>>()
            }
        };
        assert!(
            orphans(9_000, 0).await.is_empty(),
            "{}: its sender is alive",
            backend.name
        );
        assert_eq!(
            orphans(11_000, 0).await,
            ["sending"],
            "{}: its sender stopped",
            backend.name
        );
        assert_eq!(
            orphans(9_000, 2_000).await,
            ["sending"],
            "{}: sent too long ago",
            backend.name
        );
    }
}

#[tokio::test]
async fn the_reconciler_never_overwrites_an_answer_its_sender_recorded_meanwhile() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        store
            .insert(&record("late", "a"), None, "h", None)
            .await
            .unwrap();
        // The sender, alive after all, records the Platform's answer first...
        store
            .record_answer(
                "late",
                Outcome::Accepted,
                &[],
                None,
                None,
                EpochMillis(2_000),
            )
            .await
            .unwrap();
        // ...then the reconciler, which read the record as pending, concludes.
        let written = store
            .conclude(
                "late",
                Outcome::Pending,
                Outcome::Unknown,
                &[],
                None,
                EpochMillis(3_000),
            )
            .await
            .unwrap();
        assert!(!written, "{}", backend.name);
        let kept = store.get("late").await.unwrap().unwrap();
        assert_eq!(kept.outcome, Outcome::Accepted, "{}", backend.name);
    }
}

#[tokio::test]
async fn a_second_record_under_one_idempotency_key_is_refused_as_taken() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        store
            .insert(&record("first", "a"), Some("key"), "h", None)
            .await
            .unwrap();
        let second = store
            .insert(&record("second", "b"), Some("key"), "h", None)
            .await;
        assert!(
            matches!(second, Err(StoreError::KeyTaken)),
            "{}: {second:?}",
            backend.name
        );
    }
}
