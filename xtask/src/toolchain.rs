//! Which Rust builds the browser's wasm: a toolchain that already has a wasm32 std (a laptop with
//! rustup), or Debian's rustc-web building std from source (this kind of machine, where rustup has
//! no wasm32 std and must not download one). Host builds, fmt and clippy always stay on rustup.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bundle::{BUDGET, Budget};
use crate::process::{self, Failure};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
const DEBIAN_BIN: &str = "/usr/bin";
const DEBIAN_STD_SOURCES: &str = "/usr/lib/rustlib/src/rust/library";
/// What [`WasmToolchain::for_size`] saves, measured here by building without it: the first
/// page 273.2 KB against 253.1 KB gzip, the later pages 60.1 against 59.0 KB.
const PANIC_MESSAGES: Budget = Budget {
    first_page: 21 * 1024,
    later_pages: 2 * 1024,
};

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

    fn debian_cargo() -> PathBuf {
        Path::new(DEBIAN_BIN).join("cargo")
    }

    fn debian_rustc() -> PathBuf {
        Path::new(DEBIAN_BIN).join("rustc")
    }

    /// The cargo that builds for wasm32 with this toolchain.
    pub fn cargo(self, root: &Path) -> Command {
        match self {
            Self::Installed => process::cargo_host(root),
            Self::DebianBuildStd => {
                let mut command = Command::new(Self::debian_cargo());
                let mut path = vec![PathBuf::from(DEBIAN_BIN)];
                path.extend(std::env::split_paths(
                    &std::env::var_os("PATH").unwrap_or_default(),
                ));
                let path: OsString =
                    std::env::join_paths(path).expect("PATH entries hold no separator");
                command
                    .current_dir(root)
                    .env("PATH", path)
                    .env("CARGO", Self::debian_cargo())
                    .env("RUSTC", Self::debian_rustc())
                    .env("RUSTC_BOOTSTRAP", "1")
                    .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
                    .env_remove("RUSTUP_TOOLCHAIN")
                    .env_remove("RUSTC_WRAPPER")
                    .env_remove("RUSTDOC");
                command
            }
        }
    }

    /// Where this toolchain builds std from source, it builds std for size as well: a panic
    /// aborts on the spot instead of formatting its message and location (the formatting
    /// machinery is 18.5 KB of the bundle's gzip), and std takes its size-optimised paths
    /// (1.7 KB). A prebuilt std cannot be rebuilt so; there panics keep their messages.
    pub fn for_size(self, cargo: &mut Command) -> &mut Command {
        if self == Self::DebianBuildStd {
            // `--config` arrays are appended to `.cargo/config.toml`'s, which keeps its flags.
            cargo
                .arg("--config")
                .arg(format!(
                    "target.{WASM_TARGET}.rustflags = \
                     [\"-Zunstable-options\", \"-Cpanic=immediate-abort\", \"-Zlocation-detail=none\"]"
                ))
                .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size");
        }
        cargo
    }

    /// The most gzip the bundle may weigh when this toolchain builds it: a prebuilt std keeps
    /// the panic messages that [`Self::for_size`] drops.
    pub fn bundle_budget(self) -> Budget {
        match self {
            Self::Installed => Budget {
                first_page: BUDGET.first_page + PANIC_MESSAGES.first_page,
                later_pages: BUDGET.later_pages + PANIC_MESSAGES.later_pages,
            },
            Self::DebianBuildStd => BUDGET,
        }
    }

    /// Links a tiny `no_std` wasm cdylib with this toolchain, once per toolchain version: the
    /// compiler, the std sources and the linker each prove themselves, and a failure names the
    /// Debian package that brings the missing piece.
    pub fn link_probe(self, root: &Path) -> process::Result<()> {
        if self == Self::DebianBuildStd {
            for (path, package) in [
                (Self::debian_cargo(), "cargo-web"),
                (Self::debian_rustc(), "rustc-web"),
                (PathBuf::from(DEBIAN_STD_SOURCES), "rust-web-src"),
                (Path::new(DEBIAN_BIN).join("rust-lld"), "rust-web-llvm"),
            ] {
                if !path.exists() {
                    return Err(Failure(format!(
                        "{} is missing: it comes from Debian's `{package}` \
                         (`apt-get install --no-install-recommends {package}`)",
                        path.display()
                    )));
                }
            }
        }
        let probe = root.join("target/xtask/wasm-probe");
        let rustc = match self {
            Self::Installed => PathBuf::from("rustc"),
            Self::DebianBuildStd => Self::debian_rustc(),
        };
        let version = process::output(Command::new(rustc).arg("-vV")).unwrap_or_default();
        let stamp = probe.join("linked-with");
        if std::fs::read_to_string(&stamp).is_ok_and(|linked| linked == version) {
            return Ok(());
        }
        write_probe_crate(&probe)?;
        let mut build = self.cargo(root);
        build
            .current_dir(&probe)
            .args(["build", "--quiet", "--target", WASM_TARGET])
            .arg("--target-dir")
            .arg(probe.join("target"));
        if self == Self::DebianBuildStd {
            build.env("CARGO_UNSTABLE_BUILD_STD", "core");
        }
        process::run(&mut build).map_err(|failure| {
            Failure(format!(
                "{failure}: the wasm toolchain ({}) cannot link a wasm cdylib; see the \
                 compiler's message above",
                self.describe()
            ))
        })?;
        let wasm = probe.join(format!("target/{WASM_TARGET}/debug/wasm_probe.wasm"));
        match std::fs::read(&wasm) {
            Ok(bytes) if bytes.starts_with(b"\0asm") => {
                std::fs::write(&stamp, version).map_err(|e| Failure(e.to_string()))
            }
            _ => Err(Failure(format!(
                "the wasm probe built but {} is not a wasm module",
                wasm.display()
            ))),
        }
    }
}

fn write_probe_crate(probe: &Path) -> process::Result<()> {
    let write = |relative: &str, text: &str| {
        let path = probe.join(relative);
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))
    };
    write(
        "Cargo.toml",
        "[package]\nname = \"wasm-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         [lib]\ncrate-type = [\"cdylib\"]\n[workspace]\n",
    )?;
    write(
        "src/lib.rs",
        "#![no_std]\n\
         #[panic_handler]\nfn panic(_: &core::panic::PanicInfo) -> ! { loop {} }\n\
         #[no_mangle]\npub extern \"C\" fn triple(x: u32) -> u32 { x.wrapping_mul(3) }\n",
    )
}
