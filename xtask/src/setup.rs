//! `cargo xtask setup`: installs what is missing, skips what is present, says which, then proves
//! each tool works by using it. Everything comes from the package registries (Debian, npm); the
//! wasm-bindgen step is a library inside this xtask, so no build tool is compiled from source.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{self, Failure, Result};
use crate::toolchain::WasmToolchain;

/// Chromium for the browser tests, and a font with Hangul (checked with fontconfig's `fc-list`)
/// so that Korean screenshots are legible.
const BROWSER_PACKAGES: &[&str] = &["chromium", "fonts-noto-cjk", "fontconfig"];
/// The PostgreSQL server the tests start a throw-away cluster of (binaries in
/// /usr/lib/postgresql/<version>/bin); what checks deploy/: `nginx -t` (with an openssl
/// certificate) and `systemd-analyze verify`.
const SERVER_PACKAGES: &[&str] = &["postgresql", "nginx", "openssl", "systemd"];
/// Debian's Rust 1.96 with std sources for `-Zbuild-std`. `rust-web-llvm` brings
/// `/usr/bin/rust-lld`, the wasm linker; it is only a Recommends of `rustc-web`, so with
/// `--no-install-recommends` it must be named.
const DEBIAN_RUST_PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "rust-web-llvm",
    "lld-22",
];

/// What the builds need to know about the installed tools.
pub struct Tools {
    pub toolchain: WasmToolchain,
    /// npm's binaryen `wasm-opt` (Debian's 108 breaks the bundle).
    pub wasm_opt: PathBuf,
}

pub fn run(root: &Path) -> Result<Tools> {
    let toolchain = WasmToolchain::detect();
    println!("setup: wasm builds use {}", toolchain.describe());
    process::step("installing missing Debian packages", || {
        debian_packages(toolchain)
    })?;
    process::step("installing the npm packages of e2e/", || npm_packages(root))?;
    let wasm_opt = root.join("e2e/node_modules/.bin/wasm-opt");
    process::step("checking each tool by using it", || {
        verify(root, toolchain, &wasm_opt)
    })?;
    Ok(Tools {
        toolchain,
        wasm_opt,
    })
}

fn debian_packages(toolchain: WasmToolchain) -> Result<()> {
    let mut wanted: Vec<&str> = BROWSER_PACKAGES.to_vec();
    wanted.extend(SERVER_PACKAGES);
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
    println!("setup: Playwright without its browser download, axe-core, binaryen's wasm-opt");
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

/// A package manager saying "installed" proves little (last round a wasm link failed on a
/// machine where every named package was present): each tool is used once, and a failure names
/// what is missing and what brings it.
fn verify(root: &Path, toolchain: WasmToolchain, wasm_opt: &Path) -> Result<()> {
    toolchain.link_probe(root)?;
    println!(
        "setup: ok  a wasm cdylib links with {}",
        toolchain.describe()
    );
    let version = wasm_bindgen_matches_lockfile(root)?;
    println!("setup: ok  wasm-bindgen {version} (in-process) matches Cargo.lock");
    let wasm_opt_version =
        process::output(Command::new(wasm_opt).arg("--version")).ok_or_else(|| {
            Failure(format!(
                "{} does not run: it comes from the npm package `binaryen` of e2e/package.json; \
                 delete e2e/node_modules and run `cargo xtask setup` again",
                wasm_opt.display()
            ))
        })?;
    println!("setup: ok  {}", wasm_opt_version.trim());
    let chromium = chromium_version()?;
    println!("setup: ok  {chromium} starts headless and renders a page");
    let hangul = hangul_font()?;
    println!("setup: ok  Hangul font {hangul}");
    Ok(())
}

/// The in-process wasm-bindgen must be the frontend's own version, or the bundle breaks at load.
fn wasm_bindgen_matches_lockfile(root: &Path) -> Result<String> {
    let lockfile = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| Failure(format!("cannot read Cargo.lock: {e}")))?;
    let wanted = locked_version(&lockfile, "wasm-bindgen").ok_or_else(|| {
        Failure("Cargo.lock has no wasm-bindgen: is the frontend in the workspace?".into())
    })?;
    let linked = locked_version(&lockfile, "wasm-bindgen-cli-support")
        .ok_or_else(|| Failure("Cargo.lock has no wasm-bindgen-cli-support".into()))?;
    if linked == wanted {
        Ok(wanted)
    } else {
        Err(Failure(format!(
            "the frontend uses wasm-bindgen {wanted} but the xtask links wasm-bindgen-cli-support \
             {linked}: set `wasm-bindgen-cli-support = \"={wanted}\"` in xtask/Cargo.toml"
        )))
    }
}

fn locked_version(lockfile: &str, crate_name: &str) -> Option<String> {
    let name_line = format!("name = \"{crate_name}\"");
    let mut lines = lockfile.lines();
    lines.find(|line| *line == name_line)?;
    let version = lines.next()?.strip_prefix("version = \"")?;
    Some(version.trim_end_matches('"').to_owned())
}

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// What the browser tests pass too: this machine's network is closed, and as root Chromium needs
/// `--no-sandbox`.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

fn chromium_version() -> Result<String> {
    let missing = |why: String| {
        Failure(format!(
            "{why}: Chromium comes from Debian's package `chromium` \
             (`apt-get install --no-install-recommends chromium`)"
        ))
    };
    let version = process::output(Command::new(CHROMIUM).arg("--version"))
        .ok_or_else(|| missing(format!("{CHROMIUM} --version does not run")))?;
    let profile = std::env::temp_dir().join(format!("xtask-chromium-{}", std::process::id()));
    let page = process::output_within(
        Command::new(CHROMIUM)
            .args(CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--dump-dom", "data:text/html,<p>chromium-ok</p>"]),
        std::time::Duration::from_secs(60),
    );
    let _ = std::fs::remove_dir_all(&profile);
    match page {
        Some(dom) if dom.contains("chromium-ok") => Ok(version.trim().to_owned()),
        _ => Err(missing(format!(
            "{} is installed but does not render a page headless within 60 s",
            version.trim()
        ))),
    }
}

fn hangul_font() -> Result<String> {
    process::output(Command::new("fc-list").args([":lang=ko", "family"]))
        .and_then(|families| families.lines().next().map(str::to_owned))
        .ok_or_else(|| {
            Failure(
                "no font with Hangul (fc-list :lang=ko is empty or fc-list is missing): Korean \
                 text would render as boxes; install Debian's `fonts-noto-cjk` and `fontconfig`"
                    .into(),
            )
        })
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

    #[test]
    fn the_in_process_wasm_bindgen_is_the_frontends() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        wasm_bindgen_matches_lockfile(root).unwrap();
    }
}
