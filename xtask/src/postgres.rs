//! A throw-away PostgreSQL cluster from Debian's `postgresql` package, for the tests and the
//! benchmarks: under `target/postgres/`, on a free loopback port, run as the `postgres` system
//! user when this is root (PostgreSQL refuses to run as root), and stopped and removed when the
//! value is dropped, also when a test fails. A cluster left by a killed run is stopped first.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{self, Failure, Result};

pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// How the cluster trades safety for speed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync on, as a deployment runs it: for benchmarks.
    AsDeployed,
    /// Nothing waits for the disk: for tests, whose data is thrown away.
    ThrowAway,
}

impl Cluster {
    pub fn start(root: &Path, durability: Durability) -> Result<Self> {
        let bin = binaries()?;
        let as_postgres = is_root();
        let parent = root.join("target/postgres");
        stop_leftovers(&bin, &parent, as_postgres);
        let data = parent.join(format!("cluster-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data)
            .map_err(|e| Failure(format!("cannot create {}: {e}", data.display())))?;
        if as_postgres {
            process::run(Command::new("chown").arg("postgres:postgres").arg(&data))?;
            if process::output(
                Command::new("runuser")
                    .args(["-u", "postgres", "--", "test", "-w"])
                    .arg(&data),
            )
            .is_none()
            {
                return Err(Failure(format!(
                    "the postgres user cannot reach {}: give its parent folders search permission (chmod o+x)",
                    data.display()
                )));
            }
        }
        let port = free_port()?;
        let cluster = Self {
            bin,
            data,
            port,
            as_postgres,
        };
        process::run(
            cluster
                .tool("initdb")
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--pgdata",
                ])
                .arg(&cluster.data)
                .stdout(std::process::Stdio::null()),
        )?;
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=400"
        );
        if durability == Durability::ThrowAway {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let log = cluster.data.join("server.log");
        let started = process::run(
            cluster
                .tool("pg_ctl")
                .args(["start", "--wait", "--timeout=60", "--pgdata"])
                .arg(&cluster.data)
                .arg("--log")
                .arg(&log)
                .args(["-o", &options]),
        );
        if let Err(failure) = started {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(Failure(format!("{failure}\n{log}")));
        }
        println!(
            "PostgreSQL at {} ({})",
            cluster.url(),
            cluster.data.display()
        );
        Ok(cluster)
    }

    /// The server, as its superuser: tests create a database each.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["stop", "--mode=immediate", "--pgdata"])
            .arg(&self.data)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The server binaries: Debian keeps them off PATH, in /usr/lib/postgresql/<version>/bin (the
/// newest is taken); elsewhere `pg_ctl` on PATH.
fn binaries() -> Result<PathBuf> {
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").exists().then_some((version, bin))
        })
        .max();
    if let Some((_, bin)) = debian {
        return Ok(bin);
    }
    process::output(Command::new("sh").args(["-c", "command -v pg_ctl"]))
        .and_then(|path| Path::new(path.trim()).parent().map(Path::to_path_buf))
        .ok_or_else(|| {
            Failure(
                "no PostgreSQL server found: `cargo xtask setup` installs Debian's postgresql"
                    .into(),
            )
        })
}

/// Clusters of xtask runs that no longer exist (a run killed before it could stop its own);
/// another run's live cluster is left alone.
fn stop_leftovers(bin: &Path, parent: &Path, as_postgres: bool) {
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let owner = entry
            .file_name()
            .to_str()
            .and_then(|name| name.strip_prefix("cluster-")?.parse::<u32>().ok());
        if owner.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists()) {
            continue;
        }
        let leftover = Cluster {
            bin: bin.to_path_buf(),
            data: entry.path(),
            port: 0,
            as_postgres,
        };
        if leftover.data.join("postmaster.pid").exists() {
            println!(
                "stopping a cluster a killed run left: {}",
                leftover.data.display()
            );
        }
        drop(leftover);
    }
}

fn is_root() -> bool {
    process::output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0")
}

fn free_port() -> Result<u16> {
    crate::test::free_port().map_err(|e| Failure(format!("no free port on loopback: {e}")))
}
