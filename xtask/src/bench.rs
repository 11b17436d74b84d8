//! `cargo xtask bench`: the figures of the frontend (sizes, first render, the 4,000-segment
//! picker), the guardrail engine and the emulator's export writer, printed and kept as JSON
//! under `target/bench/`.

use std::path::Path;
use std::process::Command;

use crate::process::{self, Failure, Result};
use crate::test::{Portal, free_port};
use crate::{build, setup};

pub fn run(root: &Path) -> Result<()> {
    let tools = setup::run(root)?;
    build::frontend(root, &tools)?;
    build::proxy(root)?;
    frontend(root)?;
    process::run(process::cargo_host(root).args([
        "bench",
        "--package",
        "shared",
        "--bench",
        "guardrails",
    ]))?;
    process::run(process::cargo_host(root).args([
        "bench",
        "--package",
        "emulator",
        "--bench",
        "export",
    ]))
}

fn frontend(root: &Path) -> Result<()> {
    let (port, emulator_port) = (free_port().map_err(io)?, free_port().map_err(io)?);
    let data_dir = root.join("target/bench-data");
    let _ = std::fs::remove_dir_all(&data_dir);
    let _portal = Portal::start_with(
        root,
        port,
        emulator_port,
        &data_dir,
        &["--qa-segments", "4000"],
    )
    .map_err(Failure)?;
    let e2e = root.join("e2e");
    process::run(
        Command::new("node")
            .arg("bench/frontend.mjs")
            .current_dir(&e2e)
            .env("PORTAL_URL", format!("http://127.0.0.1:{port}"))
            .env("DIST_DIR", root.join("target/dist"))
            .env("BENCH_JSON", root.join("target/bench/frontend.json")),
    )
}

fn io(error: std::io::Error) -> Failure {
    Failure(format!("no free port on loopback: {error}"))
}
