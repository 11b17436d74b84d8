//! Activations per second with one portal on SQLite, and one and three replicas on one
//! PostgreSQL database (fsync on, as deployed), for disjoint plans and for contended ones; each
//! setup against a fresh emulator. Printed, and kept in `target/bench/replicas.json`.

use std::path::Path;
use std::process::Command;

use crate::bench::{PORTAL_TOKEN, Running, Serve, Upstreams, emulator, port, tokens_file};
use crate::postgres::{Cluster, Durability};
use crate::process::{self, Failure, Result};

/// Activations of each kind per setup, sent this many at a time per replica.
const ACTIVATIONS: usize = 300;
const CONCURRENCY_PER_REPLICA: usize = 16;
/// Without latency the two cores are the limit; with the Platform's latency, how many
/// activations can be in progress at once is.
const PLATFORM_LATENCIES_MS: [u64; 2] = [0, 100];

pub fn run(root: &Path) -> Result<()> {
    let dir = root.join("target/bench-data/replicas");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Failure(e.to_string()))?;
    let postgres = Cluster::start(root, Durability::AsDeployed)?;
    let mut results = Vec::new();
    for (name, replicas, on_postgres) in [
        ("sqlite-1", 1, false),
        ("postgres-1", 1, true),
        ("postgres-3", 3, true),
    ] {
        for latency in PLATFORM_LATENCIES_MS {
            let run = format!("{name}-latency-{latency}ms");
            let database = if on_postgres {
                Some(create_database(&postgres, &run)?)
            } else {
                None
            };
            let figures = setup(
                root,
                &dir.join(&run),
                replicas,
                database.as_deref(),
                latency,
            )?;
            println!("replicas bench {run}: {figures}");
            results.push(format!("\"{run}\": {figures}"));
        }
    }
    let json = format!("{{{}}}\n", results.join(", "));
    std::fs::create_dir_all(root.join("target/bench")).map_err(|e| Failure(e.to_string()))?;
    std::fs::write(root.join("target/bench/replicas.json"), json)
        .map_err(|e| Failure(e.to_string()))
}

/// A database of its own for one setup, on the cluster.
fn create_database(cluster: &Cluster, name: &str) -> Result<String> {
    let database = name.replace('-', "_");
    let server = cluster.url();
    process::run(Command::new("psql").args([
        &server,
        "-q",
        "-c",
        &format!("CREATE DATABASE {database}"),
    ]))?;
    let (server_root, _) = server.rsplit_once('/').expect("a URL with a database");
    Ok(format!("{server_root}/{database}"))
}

/// The node client against `replicas` portals: its JSON line.
fn setup(
    root: &Path,
    dir: &Path,
    replicas: usize,
    database: Option<&str>,
    latency_ms: u64,
) -> Result<String> {
    std::fs::create_dir_all(dir).map_err(|e| Failure(e.to_string()))?;
    let binary = crate::build::release_binary(root);
    let emulator_port = port()?;
    let emulator_url = format!("http://127.0.0.1:{emulator_port}");
    let _emulator = emulator(&binary, dir, emulator_port, ACTIVATIONS + 20)?;
    let tokens = tokens_file(dir)?;
    let mut extra = vec!["--activations-per-minute", "1000000"];
    if let Some(url) = database {
        extra.extend(["--database-url", url]);
    }
    let mut portals: Vec<Running> = Vec::new();
    let mut urls = Vec::new();
    for replica in 0..replicas {
        let port = port()?;
        let data = dir.join(format!("replica-{replica}"));
        portals.push(
            Serve {
                root,
                tokens: &tokens,
                data_dir: &data,
                upstreams: &Upstreams::emulator(&emulator_url),
                port,
                extra: &extra,
            }
            .start()?,
        );
        urls.push(format!("http://127.0.0.1:{port}"));
    }
    let output = process::output(
        Command::new("node")
            .arg("bench/replicas.mjs")
            .current_dir(root.join("e2e"))
            .env("PORTAL_URLS", urls.join(","))
            .env("PORTAL_TOKEN", PORTAL_TOKEN)
            .env("ACTIVATIONS", ACTIVATIONS.to_string())
            .env(
                "CONCURRENCY",
                (CONCURRENCY_PER_REPLICA * replicas).to_string(),
            )
            .env("EMULATOR_URL", &emulator_url)
            .env("PLATFORM_LATENCY_MS", latency_ms.to_string()),
    )
    .ok_or_else(|| {
        Failure(format!(
            "the replicas client failed against {}",
            urls.join(", ")
        ))
    })?;
    output
        .lines()
        .last()
        .map(str::to_owned)
        .ok_or_else(|| Failure("the replicas client printed nothing".into()))
}
