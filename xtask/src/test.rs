//! `cargo xtask test`: everything CI checks, in one command that exits non-zero on any failure.

use std::io::{BufRead, BufReader};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::postgres::{Cluster, Durability};
use crate::report::{Counts, Report};
use crate::{build, process, setup};

pub fn run(root: &Path) -> ExitCode {
    let mut report = Report::default();
    let mut tools = None;
    report.phase("setup", || match setup::run(root) {
        Ok(installed) => {
            tools = Some(installed);
            Counts::check(true)
        }
        Err(e) => check(Err(e)),
    });
    let Some(tools) = tools else {
        return report.finish();
    };
    report.phase("fmt", || {
        check(process::run(
            process::cargo_host(root).args(["fmt", "--all", "--check"]),
        ))
    });
    report.phase("clippy", || {
        check(process::run(process::cargo_host(root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])))
    });
    report.phase("serve-only build links no emulator", || {
        check(serve_only_dependencies(root))
    });
    report.phase("dependency hygiene", || check(crate::deps::check(root)));
    let mut postgres = None;
    report.phase("a throw-away PostgreSQL", || {
        match Cluster::start(root, Durability::ThrowAway) {
            Ok(cluster) => {
                postgres = Some(cluster);
                Counts::check(true)
            }
            Err(e) => check(Err(e)),
        }
    });
    // The store's own tests and the multi-replica tests use the server when it is given.
    let server: Vec<(&str, String)> = postgres
        .iter()
        .map(|cluster| (POSTGRES_SERVER_VARIABLE, cluster.url()))
        .collect();
    report.phase("cargo test", || cargo_test(root, &["--workspace"], &server));
    report.phase("the API suites on PostgreSQL", || {
        if postgres.is_none() {
            println!("skipped: PostgreSQL did not start");
            return Counts::check(false);
        }
        // `--workspace`, as the first run: the same features, nothing rebuilt.
        let mut on_postgres = server.clone();
        on_postgres.push(("ADHOC_PORTAL_TEST_DATABASE", "postgres".into()));
        cargo_test(root, &["--workspace", "--test", "api"], &on_postgres)
    });
    drop(postgres);
    report.phase("shared for wasm32", || {
        check(build::shared_for_wasm(root, tools.toolchain))
    });
    let built = report.phase("release build", || {
        check(build::frontend(root, &tools).and_then(|()| build::proxy(root)))
    });
    report.phase("the browser bundle within its size budget", || {
        if built {
            check(crate::bundle::check_budget(
                &root.join("target/dist"),
                tools.toolchain.bundle_budget(),
            ))
        } else {
            println!("skipped: the release build failed");
            Counts::check(false)
        }
    });
    report.phase("deploy/ checked by systemd-analyze and nginx -t", || {
        if built {
            check(crate::deploy_check::check(root))
        } else {
            println!("skipped: the release build failed");
            Counts::check(false)
        }
    });
    report.phase("browser tests", || {
        if built {
            browser_tests(root)
        } else {
            println!("skipped: the release build failed");
            Counts::check(false)
        }
    });
    report.finish()
}

fn check(outcome: process::Result<()>) -> Counts {
    if let Err(failure) = &outcome {
        eprintln!("xtask: {failure}");
    }
    Counts::check(outcome.is_ok())
}

/// A production `serve` build (`--no-default-features`) must not link the emulator or the
/// Parquet writer that only the demo needs.
fn serve_only_dependencies(root: &Path) -> process::Result<()> {
    let tree = process::output(process::cargo_host(root).args([
        "tree",
        "--package",
        "proxy",
        "--no-default-features",
        "--edges",
        "normal",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]))
    .ok_or_else(|| process::Failure("`cargo tree` failed".into()))?;
    let linked: Vec<&str> = tree
        .lines()
        .filter(|line| line.starts_with("emulator ") || line.starts_with("parquet "))
        .collect();
    if linked.is_empty() {
        println!("the serve-only build links neither the emulator nor parquet");
        Ok(())
    } else {
        Err(process::Failure(format!(
            "a serve-only build of the proxy links {}: keep them behind the `demo` feature",
            linked.join(", ")
        )))
    }
}

/// Where tests find a PostgreSQL server whose superuser may create databases.
const POSTGRES_SERVER_VARIABLE: &str = "ADHOC_PORTAL_TEST_POSTGRES_URL";

/// Runs `cargo test <args>`, echoing its output and adding up cargo's `test result:` lines.
fn cargo_test(root: &Path, args: &[&str], envs: &[(&str, String)]) -> Counts {
    let mut command = process::cargo_host(root);
    command
        .arg("test")
        .args(args)
        .envs(envs.iter().map(|(name, value)| (name, value)))
        .stdout(Stdio::piped());
    println!("$ cargo test {}", args.join(" "));
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("xtask: cannot start cargo test: {e}");
            return Counts::check(false);
        }
    };
    let mut counts = Counts::default();
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        println!("{line}");
        if let Some(result) = parse_test_result(&line) {
            counts.passed += result.passed;
            counts.failed += result.failed;
        }
    }
    let succeeded = child.wait().is_ok_and(|status| status.success());
    if !succeeded && counts.failed == 0 {
        // A build error or a crashed test binary: no result line says so.
        counts.failed = 1;
    }
    counts
}

/// `test result: ok. 12 passed; 0 failed; 1 ignored; ...`
fn parse_test_result(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let number_before = |word: &str| -> Option<u32> {
        rest.split(';')
            .find_map(|part| part.trim().strip_suffix(word))
            .and_then(|n| n.trim().rsplit(' ').next()?.parse().ok())
    };
    Some(Counts {
        passed: number_before("passed")?,
        failed: number_before("failed")?,
    })
}

/// Playwright against a freshly started `adhoc-portal demo` on a free port.
fn browser_tests(root: &Path) -> Counts {
    let (port, emulator_port) = match (free_port(), free_port()) {
        (Ok(port), Ok(emulator_port)) => (port, emulator_port),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("xtask: no free port on loopback: {e}");
            return Counts::check(false);
        }
    };
    let data_dir = root.join("target/e2e-data");
    let _ = std::fs::remove_dir_all(&data_dir);
    let portal = match Portal::start(root, port, emulator_port, &data_dir) {
        Ok(portal) => portal,
        Err(e) => {
            eprintln!("xtask: {e}");
            return Counts::check(false);
        }
    };
    let e2e = root.join("e2e");
    let results = e2e.join("test-results/results.json");
    let _ = std::fs::remove_file(&results);
    let ran = process::run(
        Command::new(e2e.join("node_modules/.bin/playwright"))
            .arg("test")
            .current_dir(&e2e)
            .env("PORTAL_URL", format!("http://127.0.0.1:{port}"))
            .env("PORTAL_DATA_DIR", &data_dir)
            .env(
                "PORTAL_EMULATOR_URL",
                format!("http://127.0.0.1:{emulator_port}"),
            )
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    );
    drop(portal);
    match std::fs::read_to_string(&results)
        .ok()
        .and_then(|text| playwright_counts(&text))
    {
        Some(counts) if ran.is_ok() || counts.failed > 0 => counts,
        _ => check(ran.and(Err(process::Failure("Playwright wrote no results".into())))),
    }
}

fn playwright_counts(results_json: &str) -> Option<Counts> {
    let results: serde_json::Value = serde_json::from_str(results_json).ok()?;
    let stats = results.get("stats")?;
    let count = |key: &str| {
        stats
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as u32
    };
    Some(Counts {
        passed: count("expected") + count("flaky"),
        failed: count("unexpected"),
    })
}

pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The release `adhoc-portal demo`, stopped when dropped.
pub struct Portal(Child);

impl Portal {
    pub fn start(
        root: &Path,
        port: u16,
        emulator_port: u16,
        data_dir: &Path,
    ) -> Result<Self, String> {
        Self::start_with(root, port, emulator_port, data_dir, &[])
    }

    /// With more `adhoc-portal demo` arguments.
    pub fn start_with(
        root: &Path,
        port: u16,
        emulator_port: u16,
        data_dir: &Path,
        extra: &[&str],
    ) -> Result<Self, String> {
        let log_path = root.join("target/e2e-portal.log");
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let child = Command::new(build::release_binary(root))
            .args(["demo", "--port", &port.to_string()])
            .args(["--emulator-addr", &format!("127.0.0.1:{emulator_port}")])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .current_dir(root)
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start adhoc-portal: {e}"))?;
        let portal = Portal(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if healthy(port) {
                println!(
                    "adhoc-portal demo is up on port {port} (log: {})",
                    log_path.display()
                );
                return Ok(portal);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "adhoc-portal demo did not answer /healthz within 30 s; see {}",
            log_path.display()
        ))
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_up_cargo_result_lines() {
        let line = "test result: FAILED. 12 passed; 3 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(
            parse_test_result(line),
            Some(Counts {
                passed: 12,
                failed: 3
            })
        );
        assert_eq!(parse_test_result("running 3 tests"), None);
    }

    #[test]
    fn reads_playwright_stats() {
        let json = r#"{"stats": {"expected": 4, "unexpected": 1, "flaky": 0, "skipped": 2}}"#;
        assert_eq!(
            playwright_counts(json),
            Some(Counts {
                passed: 4,
                failed: 1
            })
        );
    }
}
