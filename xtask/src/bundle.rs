//! The browser bundle in `target/dist`, made from the frontend's wasm, the top-level `index.html`
//! and `style/`: wasm-bindgen (in-process, the lockfile's version), wasm-opt -Oz, and names with a
//! content hash so the proxy can serve them as immutable. This is what trunk did for us; doing it
//! here means a fresh machine compiles no build tool, and the page needs no inline script (a
//! Content-Security-Policy without `'unsafe-inline'` can serve it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{self, Failure, Result};

mod lazy;

const APP: &str = "frontend";
/// Where `index.html` asks for the app; replaced by the hashed script, a preload of its wasm and
/// of the split loader, and prefetches of the later pages' modules.
const APP_PLACEHOLDER: &str = r#"<script type="module" src="frontend.js"></script>"#;

/// What `target/dist` holds besides the hashed names; part of the up-to-date check, so that a
/// bundle written by an older xtask is written again. Change it when the files change.
const LAYOUT: &str = "assets with .br and .gz copies; later pages split off and prefetched";

pub struct Inputs<'a> {
    pub root: &'a Path,
    /// The frontend as cargo built it, before wasm-bindgen.
    pub wasm: &'a Path,
    pub wasm_opt: &'a Path,
}

pub fn write(inputs: &Inputs) -> Result<()> {
    let root = inputs.root;
    let dist = root.join("target/dist");
    let template = read_text(&root.join("index.html"))?;
    let wasm = std::fs::read(inputs.wasm).map_err(|e| io(inputs.wasm, e))?;
    let stylesheets = stylesheet_links(&template);
    let mut fingerprint = Fnv::default();
    fingerprint
        .add(LAYOUT.as_bytes())
        .add(&wasm)
        .add(template.as_bytes());
    for href in &stylesheets {
        fingerprint.add(&std::fs::read(root.join(href)).map_err(|e| io(&root.join(href), e))?);
    }
    let stamp = dist.join(".inputs");
    let fingerprint = fingerprint.hex();
    if read_text(&stamp).is_ok_and(|old| old == fingerprint) {
        println!("bundle: target/dist is up to date");
        return Ok(());
    }

    let staging = root.join("target/bundle");
    let _ = std::fs::remove_dir_all(&staging);
    let app_script = format!("./{APP}.js");
    let split = lazy::split(&wasm, &staging.join("split"), &app_script)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_bytes(APP, split.main)
        .out_name(APP)
        // The lazily fetched modules import the app's memory and function table.
        .keep_lld_exports(true)
        .web(true)
        .and_then(|bindgen| bindgen.typescript(false).generate(&staging))
        .map_err(|e| Failure(format!("wasm-bindgen failed: {e:#}")))?;
    let optimise = |input: &Path| -> Result<Vec<u8>> {
        let output = input.with_extension("opt.wasm");
        process::run(
            Command::new(inputs.wasm_opt)
                .arg("-Oz")
                .arg(input)
                .arg("-o")
                .arg(&output),
        )?;
        std::fs::read(&output).map_err(|e| io(&output, e))
    };
    let wasm = optimise(&staging.join(format!("{APP}_bg.wasm")))?;
    let modules = split
        .modules
        .iter()
        .map(|(stem, path)| Ok((stem.clone(), optimise(path)?)))
        .collect::<Result<Vec<_>>>()?;
    let script = read_text(&staging.join(format!("{APP}.js")))?;

    let mut id = Fnv::default();
    id.add(&wasm)
        .add(script.as_bytes())
        .add(split.loader.as_bytes());
    for (stem, module) in &modules {
        id.add(stem.as_bytes()).add(module);
    }
    let names = lazy::Names { id: id.hex() };
    let wasm_name = format!("{APP}-{}_bg.wasm", names.id);
    let js_name = format!("{APP}-{}.js", names.id);
    let stems: Vec<String> = modules.iter().map(|(stem, _)| stem.clone()).collect();
    let loader = lazy::link_loader(&split.loader, (&app_script, &js_name), &stems, &names)?;
    let js = lazy::link_app_script(&script, &names)? + &start_app(&wasm_name);

    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist).map_err(|e| io(&dist, e))?;
    write_asset(&dist.join(&wasm_name), &wasm)?;
    write_asset(&dist.join(&js_name), js.as_bytes())?;
    write_asset(&dist.join(names.loader()), loader.as_bytes())?;
    for (stem, module) in &modules {
        write_asset(&dist.join(names.module(stem)), module)?;
    }

    let later: Vec<String> = stems.iter().map(|stem| names.module(stem)).collect();
    let tags = app_tags(&AppFiles {
        script: &js_name,
        wasm: &wasm_name,
        loader: &names.loader(),
        later: &later,
    });
    let mut index = template.replacen(APP_PLACEHOLDER, &tags, 1);
    if index == template {
        return Err(Failure(format!(
            "index.html has no `{APP_PLACEHOLDER}` to replace with the app"
        )));
    }
    for href in &stylesheets {
        let css = minify_css(&read_text(&root.join(href))?);
        let stem = Path::new(href)
            .file_stem()
            .map_or("style".into(), |s| s.to_string_lossy());
        let name = format!("{stem}-{}.css", Fnv::of(css.as_bytes()));
        write_asset(&dist.join(&name), css.as_bytes())?;
        index = index.replace(&format!("href=\"{href}\""), &format!("href=\"/{name}\""));
    }
    write_file(&dist.join("index.html"), index.as_bytes())?;
    write_file(&stamp, fingerprint.as_bytes())?;
    for entry in std::fs::read_dir(&dist)
        .map_err(|e| io(&dist, e))?
        .flatten()
    {
        let size = entry.metadata().map_or(0, |m| m.len());
        println!(
            "bundle: {:<40} {:>8.1} KB",
            entry.file_name().to_string_lossy(),
            size as f64 / 1024.0
        );
    }
    Ok(())
}

/// What the browser may download, gzip -9 of the wasm, scripts and stylesheets: for the first
/// page, and apart the later pages' modules (fetched at idle priority, instantiated on first
/// visit). The aim for the first page is 200 KB (issue 17); the budgets are the sizes reached so
/// far, lowered with each saving, so that no change makes the bundle bigger without someone
/// deciding it should.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub first_page: u64,
    pub later_pages: u64,
}

pub const BUDGET: Budget = Budget {
    first_page: 255 * 1024,
    later_pages: 60 * 1024,
};
pub const AIM_GZIP_BYTES: u64 = 200 * 1024;

/// The bundle in `dist` against `budget`.
pub fn check_budget(dist: &Path, budget: Budget) -> Result<()> {
    let (mut first, mut later) = (0, 0);
    for entry in std::fs::read_dir(dist).map_err(|e| io(dist, e))?.flatten() {
        let path = entry.path();
        let shipped = path
            .extension()
            .is_some_and(|ext| ext == "wasm" || ext == "js" || ext == "css");
        if !shipped {
            continue;
        }
        let size = gzip_size(&std::fs::read(&path).map_err(|e| io(&path, e))?);
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(lazy::LAZY_PREFIX)
        {
            later += size;
        } else {
            first += size;
        }
    }
    let kb = |bytes: u64| bytes as f64 / 1024.0;
    println!(
        "bundle: first page {:.1} KB gzip (budget {:.0} KB, aim {:.0} KB); \
         later pages' modules {:.1} KB gzip (budget {:.0} KB)",
        kb(first),
        kb(budget.first_page),
        kb(AIM_GZIP_BYTES),
        kb(later),
        kb(budget.later_pages),
    );
    for (what, size, limit) in [
        ("the first page", first, budget.first_page),
        ("later pages", later, budget.later_pages),
    ] {
        if size > limit {
            return Err(Failure(format!(
                "the browser bundle for {what} is {:.1} KB gzip, over its budget of {:.0} KB: \
                 find what grew with `twiggy top target/{}/wasm-release/frontend.wasm` and make \
                 it smaller, or raise BUDGET in xtask/src/bundle.rs and say why",
                kb(size),
                kb(limit),
                crate::toolchain::WASM_TARGET,
            )));
        }
    }
    Ok(())
}

fn gzip_size(bytes: &[u8]) -> u64 {
    gzip(bytes).map_or(u64::MAX, |compressed| compressed.len() as u64)
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Brotli at its best quality: seconds for the wasm here, once per build, instead of a faster,
/// larger encoding by the proxy on every download.
fn brotli(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut compressed = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut compressed, &params)?;
    Ok(compressed)
}

/// An asset and its `.br` and `.gz` beside it, which the proxy sends to browsers that accept
/// them.
fn write_asset(path: &Path, bytes: &[u8]) -> Result<()> {
    write_file(path, bytes)?;
    for (extension, compressed) in [("br", brotli(bytes)), ("gz", gzip(bytes))] {
        let mut name = path.as_os_str().to_owned();
        name.push(".");
        name.push(extension);
        let compressed_path = PathBuf::from(name);
        write_file(
            &compressed_path,
            &compressed.map_err(|e| io(&compressed_path, e))?,
        )?;
    }
    Ok(())
}

/// Appended to wasm-bindgen's module so that loading the script starts the app: no inline script.
fn start_app(wasm_name: &str) -> String {
    format!("\n__wbg_init({{ module_or_path: new URL(\"{wasm_name}\", import.meta.url) }});\n")
}

/// The hashed names the page refers to.
struct AppFiles<'a> {
    script: &'a str,
    wasm: &'a str,
    /// The script that loads the later pages' modules, imported by `script`.
    loader: &'a str,
    /// The later pages' modules.
    later: &'a [String],
}

fn app_tags(files: &AppFiles) -> String {
    let AppFiles {
        script,
        wasm,
        loader,
        later,
    } = files;
    // The wasm and the loader are fetched while the script is parsed, not after it: no round
    // trip waits for another. The later pages' modules are fetched when the browser is idle, so
    // that opening History does not wait for them.
    let mut tags = format!(
        r#"<link rel="preload" href="/{wasm}" as="fetch" type="application/wasm" crossorigin="anonymous" />
    <link rel="modulepreload" href="/{loader}" />
    <script type="module" src="/{script}"></script>"#
    );
    for module in *later {
        tags.push_str(&format!(
            "\n    <link rel=\"prefetch\" href=\"/{module}\" as=\"fetch\" crossorigin=\"anonymous\" />"
        ));
    }
    tags
}

/// The `href`s of `<link rel="stylesheet" href="...">` in the page.
fn stylesheet_links(html: &str) -> Vec<String> {
    html.split("<link")
        .skip(1)
        .filter(|tag| tag.contains(r#"rel="stylesheet""#))
        .filter_map(|tag| {
            let rest = tag.split_once("href=\"")?.1;
            Some(rest.split_once('"')?.0.to_owned())
        })
        .collect()
}

/// Comments and indentation only: safe for any CSS, and most of what a minifier saves.
fn minify_css(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .split_once("*/")
            .map_or("", |(_, after)| after);
    }
    without_comments.push_str(rest);
    without_comments
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// FNV-1a, 64 bits: a content hash for cache-busting names, not for security.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn add(&mut self, bytes: &[u8]) -> &mut Self {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self
    }

    fn hex(self) -> String {
        format!("{:016x}", self.0)
    }

    fn of(bytes: &[u8]) -> String {
        Self::default().add(bytes).hex()
    }
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| io(path, e))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| io(path, e))
}

fn io(path: &Path, error: std::io::Error) -> Failure {
    Failure(format!("{}: {error}", PathBuf::from(path).display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_counts_what_the_browser_downloads_compressed() {
        let dist = std::env::temp_dir().join(format!("xtask-budget-{}", std::process::id()));
        std::fs::create_dir_all(&dist).unwrap();
        let (wasm, js) = (vec![b'a'; 100_000], "x".repeat(50_000));
        std::fs::write(dist.join("app.wasm"), &wasm).unwrap();
        std::fs::write(dist.join("app.js"), &js).unwrap();
        std::fs::write(dist.join("index.html"), "y".repeat(1_000_000)).unwrap();
        let shipped = gzip_size(&wasm) + gzip_size(js.as_bytes());
        assert!(shipped < 1_000, "compressed, {shipped} bytes");
        let budget = |first_page| Budget {
            first_page,
            later_pages: BUDGET.later_pages,
        };
        let within = check_budget(&dist, budget(shipped));
        let over = check_budget(&dist, budget(shipped - 1));
        // A later page's module counts against its own budget, not the first page's.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let incompressible: Vec<u8> = (0..BUDGET.later_pages * 2)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        std::fs::write(
            dist.join("lazy-page-0123456789abcdef.wasm"),
            &incompressible,
        )
        .unwrap();
        let later_over = check_budget(&dist, budget(shipped));
        std::fs::remove_dir_all(&dist).unwrap();
        assert!(within.is_ok());
        let message = over.unwrap_err().0;
        assert!(
            message.contains("for the first page") && message.contains("over its budget"),
            "{message}"
        );
        let message = later_over.unwrap_err().0;
        assert!(message.contains("for later pages"), "{message}");
    }

    #[test]
    fn each_asset_gets_brotli_and_gzip_copies_of_the_same_bytes() {
        use std::io::Read;
        let dist = std::env::temp_dir().join(format!("xtask-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dist).unwrap();
        let script: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("let v{i} = {};\n", i % 7).into_bytes())
            .collect();
        write_asset(&dist.join("app-0123456789abcdef.js"), &script).unwrap();
        let read = |name: &str| std::fs::read(dist.join(name)).unwrap();
        let (br, gz) = (
            read("app-0123456789abcdef.js.br"),
            read("app-0123456789abcdef.js.gz"),
        );
        let mut from_br = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut from_br)
            .unwrap();
        let mut from_gz = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut from_gz)
            .unwrap();
        let original = read("app-0123456789abcdef.js");
        std::fs::remove_dir_all(&dist).unwrap();
        assert_eq!(original, script);
        assert_eq!(from_br, script);
        assert_eq!(from_gz, script);
        assert!(
            br.len() < gz.len() && gz.len() < script.len() / 4,
            "{} {}",
            br.len(),
            gz.len()
        );
    }

    #[test]
    fn finds_the_stylesheets_of_the_page() {
        let html = r#"<link rel="icon" href="data:," />
            <link rel="stylesheet" href="style/main.css" /><link rel="stylesheet" href="b.css">"#;
        assert_eq!(stylesheet_links(html), ["style/main.css", "b.css"]);
    }

    #[test]
    fn minifying_drops_comments_and_indentation_only() {
        let css = "/* why */\n.a {\n  color: red; /* note */\n}\n\n  .b > .c { margin: 0 1px; }\n";
        assert_eq!(
            minify_css(css),
            ".a {\ncolor: red;\n}\n.b > .c { margin: 0 1px; }"
        );
    }

    #[test]
    fn hashes_are_sixteen_hex_digits_and_follow_the_content() {
        assert_eq!(Fnv::of(b""), "cbf29ce484222325");
        assert_eq!(Fnv::of(b"a"), "af63dc4c8601ec8c");
        assert_ne!(Fnv::of(b"ab"), Fnv::of(b"ba"));
    }

    #[test]
    fn the_page_starts_the_app_from_the_hashed_names() {
        let tags = app_tags(&AppFiles {
            script: "frontend-1.js",
            wasm: "frontend-2_bg.wasm",
            loader: "frontend-split-1.js",
            later: &["lazy-history-1.wasm".into()],
        });
        assert!(tags.contains(r#"src="/frontend-1.js""#), "{tags}");
        assert!(
            tags.contains(r#"rel="preload" href="/frontend-2_bg.wasm""#),
            "{tags}"
        );
        assert!(
            tags.contains(r#"rel="modulepreload" href="/frontend-split-1.js""#),
            "{tags}"
        );
        assert!(
            tags.contains(r#"rel="prefetch" href="/lazy-history-1.wasm""#),
            "{tags}"
        );
        assert!(start_app("frontend-2_bg.wasm").contains("\"frontend-2_bg.wasm\""));
    }

    #[test]
    fn the_top_level_page_has_the_app_placeholder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let page = std::fs::read_to_string(root.join("index.html")).unwrap();
        assert!(page.contains(APP_PLACEHOLDER), "{page}");
        assert_eq!(stylesheet_links(&page), ["style/main.css"]);
    }
}
