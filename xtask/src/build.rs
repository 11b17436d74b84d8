//! Builds: the browser bundle with trunk, the proxy for release, `shared` for wasm32.

use std::path::Path;
use std::process::Command;

use crate::process::{self, Result};
use crate::setup::Tools;
use crate::toolchain::{WASM_TARGET, WasmToolchain};

/// trunk (release, wasm-opt -Oz) into `target/dist`, with the installed tools only.
pub fn frontend(root: &Path, tools: &Tools) -> Result<()> {
    // The same compilation trunk asks for, made online first: with build-std, std's own
    // dependencies must be in cargo's cache before trunk builds `--offline`. trunk's own cargo
    // call then finds everything fresh.
    process::run(tools.toolchain.cargo(root).args([
        "build",
        "--manifest-path",
        "frontend/Cargo.toml",
        "--bin",
        "frontend",
        "--profile",
        "wasm-release",
        "--target",
        WASM_TARGET,
    ]))?;
    let mut trunk = Command::new("trunk");
    trunk
        .args(["build", "--release", "--offline"])
        .current_dir(root)
        .env("TRUNK_TOOLS_WASM_BINDGEN", &tools.wasm_bindgen_version)
        .env("TRUNK_TOOLS_WASM_OPT", &tools.wasm_opt_version);
    tools.toolchain.configure(&mut trunk, &tools.tool_dirs);
    process::run(&mut trunk)
}

pub fn proxy(root: &Path) -> Result<()> {
    process::run(process::cargo_host(root).args([
        "build",
        "--release",
        "--package",
        "proxy",
        "--bin",
        "adhoc-portal",
    ]))
}

/// `shared` must stay free of anything the browser cannot run.
pub fn shared_for_wasm(root: &Path, toolchain: WasmToolchain) -> Result<()> {
    process::run(toolchain.cargo(root).args([
        "build",
        "--package",
        "shared",
        "--target",
        WASM_TARGET,
    ]))
}

pub fn release_binary(root: &Path) -> std::path::PathBuf {
    root.join("target/release/adhoc-portal")
}
