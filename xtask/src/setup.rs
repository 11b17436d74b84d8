//! `cargo xtask setup`: installs what is missing, skips what is present, says which. Everything
//! comes from the package registries (Debian, crates.io, npm); trunk is then pointed at these
//! tools so that it never downloads its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{self, Failure, Result};
use crate::toolchain::WasmToolchain;

const TRUNK_VERSION: &str = "0.22.1";
/// Chromium, and a font with Hangul so that Korean screenshots are legible.
const BROWSER_PACKAGES: &[&str] = &["chromium", "chromium-driver", "fonts-noto-cjk"];
const DEBIAN_RUST_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-22"];

/// What the builds need to know about the installed tools.
pub struct Tools {
    pub toolchain: WasmToolchain,
    pub wasm_bindgen_version: String,
    /// As trunk spells it: `version_132`.
    pub wasm_opt_version: String,
    /// Folders that must come first on PATH for trunk (wasm-opt from npm).
    pub tool_dirs: Vec<PathBuf>,
}

pub fn run(root: &Path) -> Result<Tools> {
    let toolchain = WasmToolchain::detect();
    println!("setup: wasm builds use {}", toolchain.describe());
    debian_packages(toolchain)?;
    let wasm_bindgen_version = wasm_bindgen_cli(root)?;
    trunk()?;
    npm_packages(root)?;
    let npm_bin = root.join("e2e/node_modules/.bin");
    let wasm_opt_version = wasm_opt_version(&npm_bin)?;
    Ok(Tools {
        toolchain,
        wasm_bindgen_version,
        wasm_opt_version,
        tool_dirs: vec![npm_bin],
    })
}

fn debian_packages(toolchain: WasmToolchain) -> Result<()> {
    let mut wanted: Vec<&str> = BROWSER_PACKAGES.to_vec();
    if toolchain == WasmToolchain::DebianBuildStd {
        wanted.extend(DEBIAN_RUST_PACKAGES);
    }
    if process::output(Command::new("npm").arg("--version")).is_none() {
        wanted.extend(["nodejs", "npm"]);
    }
    install_missing(wanted)
}

fn install_missing(wanted: Vec<&str>) -> Result<()> {
    let missing: Vec<&str> = wanted
        .into_iter()
        .filter(|package| !debian_package_installed(package))
        .collect();
    if missing.is_empty() {
        println!("setup: Debian packages present");
        return Ok(());
    }
    if process::output(Command::new("apt-get").arg("--version")).is_none() {
        return Err(Failure(format!(
            "these packages are missing and this is not a Debian machine: install them by hand: {}",
            missing.join(" ")
        )));
    }
    println!("setup: installing Debian packages {}", missing.join(" "));
    process::run(apt_get().arg("update").arg("-q"))?;
    process::run(
        apt_get()
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing),
    )
}

/// Installs any of `packages` that is missing (for commands beyond the tests, like bench).
pub fn debian_packages_for(packages: &[&str]) -> Result<()> {
    install_missing(packages.to_vec())
}

fn debian_package_installed(package: &str) -> bool {
    process::output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|status| status.trim_end().ends_with("installed"))
}

fn apt_get() -> Command {
    let is_root = process::output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
    let mut command = if is_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "apt-get"]);
        sudo
    };
    command.env("DEBIAN_FRONTEND", "noninteractive");
    command
}

/// wasm-bindgen-cli must match the lockfile's wasm-bindgen exactly, or the bundle breaks.
fn wasm_bindgen_cli(root: &Path) -> Result<String> {
    let lockfile = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| Failure(format!("cannot read Cargo.lock: {e}")))?;
    let version = locked_version(&lockfile, "wasm-bindgen").ok_or_else(|| {
        Failure("Cargo.lock has no wasm-bindgen: is the frontend in the workspace?".into())
    })?;
    let installed = process::output(Command::new("wasm-bindgen").arg("--version"));
    if installed.as_deref().map(str::trim) == Some(&format!("wasm-bindgen {version}")) {
        println!("setup: wasm-bindgen-cli {version} present");
        return Ok(version);
    }
    println!("setup: installing wasm-bindgen-cli {version} (a few minutes, once)");
    // Not `--locked`: its own lockfile names a crate version the registry lacks.
    process::run(Command::new("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &format!("={version}"),
    ]))?;
    Ok(version)
}

fn locked_version(lockfile: &str, crate_name: &str) -> Option<String> {
    let name_line = format!("name = \"{crate_name}\"");
    let mut lines = lockfile.lines();
    lines.find(|line| *line == name_line)?;
    let version = lines.next()?.strip_prefix("version = \"")?;
    Some(version.trim_end_matches('"').to_owned())
}

fn trunk() -> Result<()> {
    let installed = process::output(Command::new("trunk").arg("--version"));
    if installed.as_deref().map(str::trim) == Some(&format!("trunk {TRUNK_VERSION}")) {
        println!("setup: trunk {TRUNK_VERSION} present");
        return Ok(());
    }
    println!("setup: installing trunk {TRUNK_VERSION} (16-20 minutes on 2 cores, once)");
    // trunk 0.22.1 asks for Rust 1.96.1; Debian's 1.96 builds it when told to ignore that.
    let mut install = if WasmToolchain::debian_ready() {
        let mut cargo = Command::new(WasmToolchain::debian_cargo());
        cargo.env("RUSTC", WasmToolchain::debian_rustc());
        cargo
    } else {
        Command::new("cargo")
    };
    process::run(install.args([
        "install",
        "trunk",
        "--version",
        TRUNK_VERSION,
        "--ignore-rust-version",
    ]))
}

fn npm_packages(root: &Path) -> Result<()> {
    let e2e = root.join("e2e");
    let installed = e2e.join("node_modules/.package-lock.json");
    let up_to_date = match (
        modified(&installed),
        modified(&e2e.join("package-lock.json")),
    ) {
        (Some(installed), Some(wanted)) => installed >= wanted,
        _ => false,
    };
    if up_to_date {
        println!("setup: npm packages of e2e/ present");
        return Ok(());
    }
    println!(
        "setup: installing the npm packages of e2e/ (Playwright without its browser, binaryen)"
    );
    process::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&e2e)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn wasm_opt_version(npm_bin: &Path) -> Result<String> {
    let text = process::output(Command::new(npm_bin.join("wasm-opt")).arg("--version"))
        .ok_or_else(|| Failure("wasm-opt from npm's binaryen does not run".into()))?;
    // "wasm-opt version 132 (version_132)"
    let number = text
        .split_whitespace()
        .nth(2)
        .ok_or_else(|| Failure(format!("unexpected `wasm-opt --version`: {text}")))?;
    Ok(format!("version_{number}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_version_of_a_crate() {
        let lockfile = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.1.0\"\n\n\
                        [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lockfile, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lockfile, "leptos"), None);
    }
}
