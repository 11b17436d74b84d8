//! `cargo xtask <command>`: everything a newcomer needs, from a fresh machine to a running portal.

mod bench;
mod build;
mod bundle;
mod deploy_check;
mod deps;
mod instructions;
mod postgres;
mod process;
mod replicas_bench;
mod report;
mod setup;
mod test;
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup             install what is missing (Debian packages, npm packages) and check each tool
  build             setup, then build the frontend bundle and the proxy (release)
  demo [--port N]   build, then serve the demo portal at http://127.0.0.1:8080 (or port N)
  test              setup, then fmt, clippy, tests, wasm build of shared and the browser tests
  bench             the portal against nginx, replicas on PostgreSQL, frontend, guardrail engine,
                    export writer (target/bench/)
  bench platform    only the portal against nginx (forwarding), token, polling and activation
  bench frontend    only the browser app: bundle size, first render, pickers and keystrokes
  bench replicas    only activations per second on SQLite and on one and three PostgreSQL replicas
  soak [--seconds N]  N seconds (default 60, at most 600) of load with injected faults; fails if
                    an answered activation is lost or one is doubled";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args.as_slice() {
        ["setup"] => setup::run(&workspace_root())
            .map(drop)
            .map_err(|e| e.to_string()),
        ["build"] => build_all(&workspace_root()),
        ["demo"] => demo(&workspace_root(), 8080),
        ["demo", "--port", port] => match port.parse() {
            Ok(port) => demo(&workspace_root(), port),
            Err(_) => Err(format!(
                "--port wants a number from 1 to 65535, not {port:?}"
            )),
        },
        ["test"] => return test::run(&workspace_root()),
        ["bench"] => bench::run(&workspace_root()).map_err(|e| e.to_string()),
        ["bench", "platform"] => bench::run_platform(&workspace_root()).map_err(|e| e.to_string()),
        ["bench", "frontend"] => bench::run_frontend(&workspace_root()).map_err(|e| e.to_string()),
        ["bench", "replicas"] => build::proxy(&workspace_root())
            .and_then(|()| replicas_bench::run(&workspace_root()))
            .map_err(|e| e.to_string()),
        ["soak"] => bench::soak(&workspace_root(), 60).map_err(|e| e.to_string()),
        ["soak", "--seconds", seconds] => match seconds.parse::<u32>() {
            Ok(seconds @ 1..=600) => {
                bench::soak(&workspace_root(), seconds).map_err(|e| e.to_string())
            }
            _ => Err(format!(
                "--seconds wants a number from 1 to 600, not {seconds:?}"
            )),
        },
        _ => Err(USAGE.to_owned()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn build_all(root: &Path) -> Result<(), String> {
    let tools = setup::run(root).map_err(|e| e.to_string())?;
    build::frontend(root, &tools).map_err(|e| e.to_string())?;
    build::proxy(root).map_err(|e| e.to_string())
}

fn demo(root: &Path, port: u16) -> Result<(), String> {
    build_all(root)?;
    println!("xtask: serving the demo portal at http://127.0.0.1:{port} (Ctrl-C to stop)");
    process::run(
        process::cargo_host(root)
            .arg("run")
            .args([
                "--quiet",
                "--release",
                "--package",
                "proxy",
                "--bin",
                "adhoc-portal",
                "--",
            ])
            .args(["demo", "--port", &port.to_string()]),
    )
    .map_err(|e| e.to_string())
}
