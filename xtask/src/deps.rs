//! Dependency hygiene from `cargo metadata`, without installing cargo-deny (minutes of compiling
//! on a fresh 2-core machine): every package the build resolves for this machine and for the
//! browser carries a licence we may ship, no banned crate comes back, and no crate gains a
//! second version without someone deciding it should.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::process::{self, Failure, Result};

/// Licences compatible with shipping the portal under Apache-2.0.
const ALLOWED_LICENSES: &[&str] = &[
    "Apache-2.0",
    "MIT",
    "MIT-0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "0BSD",
    "Unicode-3.0",
    "Unlicense",
    "CC0-1.0",
    "BSL-1.0",
    "CDLA-Permissive-2.0",
];

/// Crates that must not come back, and why.
const BANNED: &[(&str, &str)] = &[
    (
        "serde_yaml",
        "deprecated and unmaintained since 2024; serde_norway is its maintained fork",
    ),
    (
        "openssl-sys",
        "the portal speaks TLS with rustls; a second TLS stack is a second thing to patch",
    ),
];

/// Crates in two versions today: each pair comes from two dependencies on different major
/// versions of a common crate (rand 0.8 and 0.10, syn 2 and 3, thiserror 1 and 2, ...), not
/// from this project's own choices. A crate that is not listed here and gains a second version
/// fails the check.
const KNOWN_DUPLICATES: &[&str] = &[
    "base64",
    "convert_case",
    "cpufeatures",
    "foldhash",
    "getrandom",
    // The xtask's two wasm tools: wasm-bindgen-cli-support is pinned to the frontend's
    // wasm-bindgen (walrus 0.27: gimli 0.32, wasmparser 0.245), and no wasm_split_cli_support
    // reads wasm with the same versions (0.2.4: gimli 0.34, wasmparser 0.261). Build-time only.
    "gimli",
    "hashbrown",
    "itertools",
    "num-bigint",
    "rand",
    "rand_core",
    "syn",
    "thiserror",
    "thiserror-impl",
    "toml",
    "toml_datetime",
    // 0.4 only through reqwest's `stream` feature for wasm targets, which the proxy is never
    // built for; the frontend's gloo-net has 0.5.
    "wasm-streams",
    // The wasm tools, as with gimli above.
    "wasm-encoder",
    "wasmparser",
    "winnow",
];

const PLATFORMS: &[&str] = &["x86_64-unknown-linux-gnu", "wasm32-unknown-unknown"];

pub fn check(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for platform in PLATFORMS {
        let text = process::output(process::cargo_host(root).args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            platform,
        ]))
        .ok_or_else(|| Failure("`cargo metadata` failed".into()))?;
        let metadata: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Failure(format!("unreadable `cargo metadata`: {e}")))?;
        let packages = resolved_packages(&metadata);
        println!("dependencies for {platform}: {} packages", packages.len());
        problems.extend(
            findings(&packages)
                .into_iter()
                .map(|problem| format!("{platform}: {problem}")),
        );
    }
    if problems.is_empty() {
        println!("licences allowed, nothing banned, no new duplicate versions");
        Ok(())
    } else {
        Err(Failure(problems.join("\n")))
    }
}

/// (name, version, licence) of every package the resolver kept.
fn resolved_packages(metadata: &serde_json::Value) -> Vec<(String, String, String)> {
    let resolved: BTreeSet<&str> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|node| node["id"].as_str())
        .collect();
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|package| {
            package["id"]
                .as_str()
                .is_some_and(|id| resolved.contains(id))
        })
        .map(|package| {
            let text = |key: &str| package[key].as_str().unwrap_or_default().to_owned();
            (text("name"), text("version"), text("license"))
        })
        .collect()
}

fn findings(packages: &[(String, String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut versions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, version, license) in packages {
        if !license_allowed(license) {
            problems.push(format!(
                "{name} {version} is licensed {license:?}, not one of {}",
                ALLOWED_LICENSES.join(", ")
            ));
        }
        if let Some((_, why)) = BANNED.iter().find(|(banned, _)| banned == name) {
            problems.push(format!("{name} is banned: {why}"));
        }
        versions.entry(name).or_default().insert(version);
    }
    for (name, found) in versions {
        if found.len() > 1 && !KNOWN_DUPLICATES.contains(&name) {
            problems.push(format!(
                "{name} comes in {} versions ({}): align the dependencies, or add it to KNOWN_DUPLICATES in xtask/src/deps.rs saying why",
                found.len(),
                found.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    problems
}

/// Whether an SPDX expression (`MIT OR Apache-2.0`, `(MIT OR Apache-2.0) AND Unicode-3.0`,
/// `Apache-2.0 WITH LLVM-exception`, the old `MIT/Apache-2.0`) can be met with allowed licences.
fn license_allowed(expression: &str) -> bool {
    let spaced = expression
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('/', " OR ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut position = 0;
    let allowed = any_of(&tokens, &mut position);
    allowed && position == tokens.len()
}

/// `all_of (OR all_of)*`
fn any_of(tokens: &[&str], position: &mut usize) -> bool {
    let mut allowed = all_of(tokens, position);
    while tokens.get(*position) == Some(&"OR") {
        *position += 1;
        allowed |= all_of(tokens, position);
    }
    allowed
}

/// `licence (AND licence)*`
fn all_of(tokens: &[&str], position: &mut usize) -> bool {
    let mut allowed = one(tokens, position);
    while tokens.get(*position) == Some(&"AND") {
        *position += 1;
        allowed &= one(tokens, position);
    }
    allowed
}

/// `( any_of )` or `name [WITH exception]`: an exception only adds permissions.
fn one(tokens: &[&str], position: &mut usize) -> bool {
    let Some(token) = tokens.get(*position) else {
        return false;
    };
    *position += 1;
    if *token == "(" {
        let allowed = any_of(tokens, position);
        if tokens.get(*position) != Some(&")") {
            return false;
        }
        *position += 1;
        return allowed;
    }
    if tokens.get(*position) == Some(&"WITH") {
        *position += 2;
    }
    ALLOWED_LICENSES.contains(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_expressions_are_read_as_spdx() {
        for allowed in [
            "MIT",
            "MIT OR Apache-2.0",
            "MIT/Apache-2.0",
            "(MIT OR Apache-2.0) AND Unicode-3.0",
            "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT",
            "MIT OR Apache-2.0 OR LGPL-2.1-or-later",
        ] {
            assert!(license_allowed(allowed), "{allowed}");
        }
        for refused in [
            "GPL-3.0",
            "MIT AND GPL-3.0",
            "",
            "(MIT",
            "SSPL-1.0 OR BUSL-1.1",
        ] {
            assert!(!license_allowed(refused), "{refused:?}");
        }
    }

    #[test]
    fn banned_crates_bad_licences_and_new_duplicates_are_found() {
        let package = |name: &str, version: &str, license: &str| {
            (name.to_owned(), version.to_owned(), license.to_owned())
        };
        let problems = findings(&[
            package("serde_yaml", "0.9.34", "MIT OR Apache-2.0"),
            package("leftpad", "1.0.0", "GPL-3.0"),
            package("axum", "0.7.9", "MIT"),
            package("axum", "0.8.9", "MIT"),
            package("rand", "0.8.8", "MIT OR Apache-2.0"),
            package("rand", "0.10.4", "MIT OR Apache-2.0"),
        ]);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].contains("serde_yaml is banned"));
        assert!(problems[1].contains("leftpad 1.0.0 is licensed \"GPL-3.0\""));
        assert!(problems[2].starts_with("axum comes in 2 versions"));
    }
}
