//! The pages marked `#[wasm_split]` in the frontend become wasm modules of their own, which the
//! browser fetches at idle priority after the first page and instantiates on the first visit:
//! wasm-split (the library cargo-leptos runs) cuts them out of the linked wasm and writes the
//! script that loads them.
//!
//! The outputs refer to each other by name: the app's script imports the loader, the loader
//! imports the app's script and fetches the modules. Content hashes per file would chase each
//! other in a circle, so every name carries one id, the hash of all outputs together.

use std::path::{Path, PathBuf};

use crate::process::{Failure, Result};

/// What the split writes as names, replaced by the hashed ones.
const LOADER_PLACEHOLDER: &str = "./__wasm_split.js";

/// The file names of the lazily fetched modules start with this: they are not part of what the
/// browser downloads to show the first page.
pub const LAZY_PREFIX: &str = "lazy-";

pub struct Split {
    /// The app's own module, for wasm-bindgen.
    pub main: Vec<u8>,
    /// The script wasm-split wrote to fetch and instantiate the modules below.
    pub loader: String,
    /// Each lazily fetched module: the name wasm-split gave it (without `.wasm`) and its file.
    pub modules: Vec<(String, PathBuf)>,
}

/// Splits `wasm` (linked with `--emit-relocs`) in `dir`. `app_script` is the name under which
/// the loader imports wasm-bindgen's script.
pub fn split(wasm: &[u8], dir: &Path, app_script: &str) -> Result<Split> {
    std::fs::create_dir_all(dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
    let main_path = dir.join("main.wasm");
    let mut options = wasm_split_cli_support::Options::new(wasm);
    options.output_dir = dir;
    options.main_out_path = &main_path;
    options.main_module = app_script;
    options.link_name = LOADER_PLACEHOLDER;
    let split = wasm_split_cli_support::transform(options).map_err(|e| {
        Failure(format!(
            "wasm-split failed: {e:#} (the frontend must be linked with `--emit-relocs`, as \
             .cargo/config.toml asks)"
        ))
    })?;
    let read =
        |path: &Path| std::fs::read(path).map_err(|e| Failure(format!("{}: {e}", path.display())));
    let loader_path = dir.join(LOADER_PLACEHOLDER);
    let loader = String::from_utf8(read(&loader_path)?)
        .map_err(|_| Failure(format!("{} is not UTF-8", loader_path.display())))?;
    let modules = split
        .split_modules
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .ok_or_else(|| Failure(format!("wasm-split wrote {}", path.display())))?;
            Ok((stem, path))
        })
        .collect::<Result<_>>()?;
    Ok(Split {
        main: read(&main_path)?,
        loader,
        modules,
    })
}

/// The hashed names of one bundle, all carrying the same `id`.
pub struct Names {
    pub id: String,
}

impl Names {
    pub fn loader(&self) -> String {
        format!("frontend-split-{}.js", self.id)
    }

    pub fn module(&self, stem: &str) -> String {
        format!("{LAZY_PREFIX}{stem}-{}.wasm", self.id)
    }
}

/// The app's script importing the loader by its hashed name. Only the `import`s change: the
/// wasm still names the module it imports from `./__wasm_split.js`, and so do the keys of the
/// imports object the script hands it.
pub fn link_app_script(script: &str, names: &Names) -> Result<String> {
    replace_all(
        script,
        &format!("from \"{LOADER_PLACEHOLDER}\""),
        &format!("from \"./{}\"", names.loader()),
    )
}

/// The loader with the hashed names of the app's script and of each module.
pub fn link_loader(
    loader: &str,
    app_script: (&str, &str),
    modules: &[String],
    names: &Names,
) -> Result<String> {
    let (placeholder, hashed) = app_script;
    let mut linked = replace_all(
        loader,
        &format!("from \"{placeholder}\""),
        &format!("from \"./{hashed}\""),
    )?;
    for stem in modules {
        linked = replace_all(
            &linked,
            &format!("\"./{stem}.wasm\""),
            &format!("\"./{}\"", names.module(stem)),
        )?;
    }
    Ok(linked)
}

/// Every `from` in `text` replaced; a `from` that is not there means the generated script
/// changed shape, and a bundle that would fetch a missing file must not be written.
fn replace_all(text: &str, from: &str, to: &str) -> Result<String> {
    if !text.contains(from) {
        return Err(Failure(format!(
            "the generated script has no `{from}`: wasm-split or wasm-bindgen changed how \
             scripts and modules name each other; update xtask/src/bundle/lazy.rs"
        )));
    }
    Ok(text.replace(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOADER: &str = r#"import { initSync } from "./frontend.js";
const __chunk_3 = makeLoad(() => fetch(new URL("./chunk_3.wasm", import.meta.url)), []);
export const load_history = wrap(makeLoad(() => fetch(new URL("./split_history_page.wasm", import.meta.url)), [__chunk_3]));
"#;

    fn names() -> Names {
        Names {
            id: "0123456789abcdef".into(),
        }
    }

    #[test]
    fn the_loader_names_the_hashed_script_and_modules() {
        let linked = link_loader(
            LOADER,
            ("./frontend.js", "frontend-0123456789abcdef.js"),
            &["chunk_3".into(), "split_history_page".into()],
            &names(),
        )
        .unwrap();
        assert!(
            linked.contains(r#"from "./frontend-0123456789abcdef.js""#),
            "{linked}"
        );
        assert!(
            linked.contains(r#""./lazy-chunk_3-0123456789abcdef.wasm""#),
            "{linked}"
        );
        assert!(
            linked.contains(r#""./lazy-split_history_page-0123456789abcdef.wasm""#),
            "{linked}"
        );
        assert!(!linked.contains("\"./chunk_3.wasm\""), "{linked}");
    }

    #[test]
    fn the_app_script_imports_the_hashed_loader_under_the_name_the_wasm_knows() {
        let script = "import * as import1 from \"./__wasm_split.js\"\n\
                      imports = { \"./__wasm_split.js\": import1 };";
        let linked = link_app_script(script, &names()).unwrap();
        assert_eq!(
            linked,
            "import * as import1 from \"./frontend-split-0123456789abcdef.js\"\n\
             imports = { \"./__wasm_split.js\": import1 };"
        );
    }

    #[test]
    fn a_name_the_script_does_not_use_stops_the_bundle() {
        let missing = link_loader(
            LOADER,
            ("./frontend.js", "frontend-0123456789abcdef.js"),
            &["split_settings_page".into()],
            &names(),
        );
        let message = missing.err().unwrap().0;
        assert!(message.contains("./split_settings_page.wasm"), "{message}");
        // A name that is only a prefix of another is not a match.
        assert!(link_app_script("from \"./__wasm_split.js.map\"", &names()).is_err());
    }
}
