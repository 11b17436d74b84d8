//! Which Rust builds the browser's wasm: a toolchain that already has a wasm32 std (a laptop with
//! rustup), or Debian's rustc-web building std from source (this kind of machine, where rustup has
//! no wasm32 std and must not download one). Host builds, fmt and clippy always stay on rustup.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
const DEBIAN_BIN: &str = "/usr/bin";
const DEBIAN_STD_SOURCES: &str = "/usr/lib/rustlib/src/rust/library";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmToolchain {
    /// The host toolchain ships a wasm32 std: plain cargo does it.
    Installed,
    /// Debian's cargo and rustc 1.96 with `-Zbuild-std`, for wasm builds only.
    DebianBuildStd,
}

impl WasmToolchain {
    pub fn detect() -> Self {
        let sysroot = process::output(Command::new("rustc").args(["--print", "sysroot"]));
        let has_wasm_std = sysroot.is_some_and(|root| {
            Path::new(root.trim())
                .join("lib/rustlib")
                .join(WASM_TARGET)
                .join("lib")
                .is_dir()
        });
        if has_wasm_std {
            Self::Installed
        } else {
            Self::DebianBuildStd
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Installed => "the host toolchain's wasm32 std",
            Self::DebianBuildStd => "Debian's rustc-web with std built from source",
        }
    }

    /// Whether Debian's Rust packages are ready for wasm builds.
    pub fn debian_ready() -> bool {
        Path::new(DEBIAN_BIN).join("cargo").is_file()
            && Path::new(DEBIAN_BIN).join("rust-lld").exists()
            && Path::new(DEBIAN_STD_SOURCES).is_dir()
    }

    pub fn debian_cargo() -> PathBuf {
        Path::new(DEBIAN_BIN).join("cargo")
    }

    pub fn debian_rustc() -> PathBuf {
        Path::new(DEBIAN_BIN).join("rustc")
    }

    /// Sets up `command` (cargo or trunk, which calls `cargo` by name) to build wasm with this
    /// toolchain; `tool_dirs` go first on PATH so that trunk finds the pinned tools.
    pub fn configure(self, command: &mut Command, tool_dirs: &[PathBuf]) {
        let mut path: Vec<PathBuf> = tool_dirs.to_vec();
        if self == Self::DebianBuildStd {
            path.push(PathBuf::from(DEBIAN_BIN));
            command
                .env("CARGO", Self::debian_cargo())
                .env("RUSTC", Self::debian_rustc())
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("RUSTC_WRAPPER")
                .env_remove("RUSTDOC");
        }
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let joined: OsString = std::env::join_paths(path).expect("PATH entries hold no separator");
        command.env("PATH", joined);
    }

    /// The cargo that builds for wasm32 with this toolchain.
    pub fn cargo(self, root: &Path) -> Command {
        let mut command = match self {
            Self::Installed => process::cargo_host(root),
            Self::DebianBuildStd => {
                let mut command = Command::new(Self::debian_cargo());
                command.current_dir(root);
                command
            }
        };
        self.configure(&mut command, &[]);
        command
    }
}
