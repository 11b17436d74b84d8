//! Builds: the browser bundle, the proxy for release, `shared` for wasm32.

use std::path::Path;

use crate::bundle;
use crate::process::{self, Result};
use crate::setup::Tools;
use crate::toolchain::{WASM_TARGET, WasmToolchain};

/// The frontend for size (the `wasm-release` profile), then bundled into `target/dist`.
pub fn frontend(root: &Path, tools: &Tools) -> Result<()> {
    process::step("building the frontend (wasm, for size)", || {
        process::run(tools.toolchain.for_size(tools.toolchain.cargo(root).args([
            "build",
            "--package",
            "frontend",
            "--bin",
            "frontend",
            "--profile",
            "wasm-release",
            "--target",
            WASM_TARGET,
        ])))
    })?;
    let wasm = root.join(format!("target/{WASM_TARGET}/wasm-release/frontend.wasm"));
    process::step("bundling it (wasm-bindgen, wasm-opt -Oz)", || {
        bundle::write(&bundle::Inputs {
            root,
            wasm: &wasm,
            wasm_opt: &tools.wasm_opt,
        })
    })
}

pub fn proxy(root: &Path) -> Result<()> {
    process::step("building the portal (release)", || {
        process::run(process::cargo_host(root).args([
            "build",
            "--release",
            "--package",
            "proxy",
            "--bin",
            "adhoc-portal",
        ]))
    })
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
