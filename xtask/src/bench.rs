//! `cargo xtask bench`: the figures of the portal against what a team would use instead (nginx
//! injecting the credential headers), of the frontend, the guardrail engine and the export
//! writer; printed, and kept as JSON under `target/bench/`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{self, Failure, Result};
use crate::test::{Portal, free_port, healthy};
use crate::{build, instructions, setup};

/// What the benchmarks need beyond the test set-up.
const BENCH_PACKAGES: &[&str] = &["nginx", "wrk", "curl", "valgrind"];
pub(crate) const PORTAL_TOKEN: &str = "bench-token";
/// SHA-256 of `bench-token`, as `adhoc-portal serve --auth token` wants it.
const PORTAL_TOKEN_SHA256: &str =
    "7137e16f75a1d75b6fd65930672814806cdc1a0d6e0aa38611afc996a402258b";
const ORG_ID: &str = "5555467B5D8013E50A494220@AdobeOrg";

pub fn run(root: &Path) -> Result<()> {
    run_platform(root)?;
    crate::replicas_bench::run(root)?;
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

/// Set-up, builds, and the portal against nginx alone (`cargo xtask bench platform`).
pub fn run_platform(root: &Path) -> Result<()> {
    build_for_bench(root)?;
    platform(root)
}

fn build_for_bench(root: &Path) -> Result<()> {
    let tools = setup::run(root)?;
    setup::debian_packages_for(BENCH_PACKAGES)?;
    build::frontend(root, &tools)?;
    build::proxy(root)
}

/// Set-up, builds, and the browser app's figures alone (`cargo xtask bench frontend`).
pub fn run_frontend(root: &Path) -> Result<()> {
    build_for_bench(root)?;
    frontend(root)
}

/// A process that is stopped when dropped.
pub(crate) struct Running(Child);

impl Running {
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }

    pub(crate) fn has_exited(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Running {
    /// SIGTERM first: an nginx master killed outright leaves its workers running (and
    /// listening); then SIGKILL for whatever has not stopped within 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn spawn(command: &mut Command, log: &Path) -> Result<Running> {
    let file = std::fs::File::create(log).map_err(|e| Failure(e.to_string()))?;
    let err = file.try_clone().map_err(|e| Failure(e.to_string()))?;
    let child = command
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(|e| Failure(format!("cannot start {command:?}: {e}")))?;
    Ok(Running(child))
}

fn wait_for(port: u16, ready: impl Fn(u16) -> bool, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ready(port) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Failure(format!("{what} did not start within 30 s")))
}

pub(crate) fn port() -> Result<u16> {
    free_port().map_err(|e| Failure(format!("no free port on loopback: {e}")))
}

/// `adhoc-portal emulator` on `port`, with `qa_segments` on its bulk destination, once it
/// answers.
pub(crate) fn emulator(
    binary: &Path,
    dir: &Path,
    port: u16,
    qa_segments: usize,
) -> Result<Running> {
    let running = spawn(
        Command::new(binary)
            .args([
                "emulator",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--qa-segments",
            ])
            .arg(qa_segments.to_string())
            .arg("--data-dir")
            .arg(dir.join("emulator")),
        &dir.join("emulator.log"),
    )?;
    wait_for(
        port,
        |p| TcpStream::connect(("127.0.0.1", p)).is_ok(),
        "the emulator",
    )?;
    Ok(running)
}

/// A tokens file with the benchmark's user, readable by its owner only (as the portal wants).
pub(crate) fn tokens_file(dir: &Path) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let tokens = dir.join("tokens.txt");
    std::fs::write(
        &tokens,
        format!("bench:{PORTAL_TOKEN_SHA256}:viewer,activator\n"),
    )
    .map_err(|e| Failure(e.to_string()))?;
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Failure(e.to_string()))?;
    Ok(tokens)
}

/// Where a benchmark's portal gets its token and where it sends Platform calls.
pub(crate) struct Upstreams<'a> {
    pub ims: &'a str,
    pub platform: &'a str,
}

impl<'a> Upstreams<'a> {
    /// Both the emulator.
    pub(crate) fn emulator(url: &'a str) -> Self {
        Self {
            ims: url,
            platform: url,
        }
    }
}

/// `adhoc-portal serve` on `port` against `upstreams`, with `extra` arguments, its history in
/// `data_dir` unless `extra` names a database.
pub(crate) struct Serve<'a> {
    pub root: &'a Path,
    pub tokens: &'a Path,
    pub data_dir: &'a Path,
    pub upstreams: &'a Upstreams<'a>,
    pub port: u16,
    pub extra: &'a [&'a str],
}

impl Serve<'_> {
    /// Started, once healthy.
    pub(crate) fn start(&self) -> Result<Running> {
        let running = spawn(&mut self.command(), &self.data_dir.with_extension("log"))?;
        wait_for(self.port, healthy, "adhoc-portal serve")?;
        Ok(running)
    }

    fn command(&self) -> Command {
        let Self {
            root,
            tokens,
            data_dir,
            upstreams,
            port,
            extra,
        } = *self;
        let mut command = Command::new(build::release_binary(root));
        command
            .args(["serve", "--auth", "token", "--port", &port.to_string()])
            .arg("--tokens-file")
            .arg(tokens)
            .arg("--dist-dir")
            .arg(root.join("target/dist"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .env("AEP_CLIENT_ID", "demo-client-id")
            .env("AEP_CLIENT_SECRET", "demo-client-secret")
            .env("AEP_ORG_ID", ORG_ID)
            .env("AEP_SCOPES", "openid,AdobeID")
            .env("AEP_SANDBOX_NAME", "prod")
            .env("AEP_PLATFORM_URL", upstreams.platform)
            .env("AEP_IMS_URL", upstreams.ims);
        command
    }
}

/// The answers of the fixed upstream: the same paths as the Platform's, allowlisted by the portal.
const FIXED_ANSWERS: [(&str, &str, usize); 2] = [
    ("1KB", "/data/foundation/flowservice/flows", 1024),
    ("1MB", "/data/foundation/flowservice/runs", 1024 * 1024),
];

fn platform(root: &Path) -> Result<()> {
    let dir = root.join("target/bench-data/platform");
    let _ = std::fs::remove_dir_all(&dir);
    for folder in ["fixed", "nginx-fixed"] {
        std::fs::create_dir_all(dir.join(folder)).map_err(|e| Failure(e.to_string()))?;
    }
    let binary = build::release_binary(root);
    let (emulator_port, portal_port, cold_port) = (port()?, port()?, port()?);
    let (fixed_port, fixed_portal_port, fixed_nginx_port) = (port()?, port()?, port()?);
    let emulator_url = format!("http://127.0.0.1:{emulator_port}");
    let fixed_url = format!("http://127.0.0.1:{fixed_port}");
    let _emulator = emulator(&binary, &dir, emulator_port, 600)?;
    let tokens = tokens_file(&dir)?;
    let on_emulator = Upstreams::emulator(&emulator_url);
    let _portal = Serve {
        root,
        tokens: &tokens,
        data_dir: &dir.join("portal"),
        upstreams: &on_emulator,
        port: portal_port,
        extra: &[],
    }
    .start()?;
    let _cold = Serve {
        root,
        tokens: &tokens,
        data_dir: &dir.join("cold-portal"),
        upstreams: &on_emulator,
        port: cold_port,
        extra: &[],
    }
    .start()?;
    // The forwarding path alone: an upstream that costs nothing, in front of which the portal
    // and nginx are measured.
    let _fixed = fixed_upstream(&dir.join("fixed"), fixed_port)?;
    let on_fixed = Upstreams {
        ims: &emulator_url,
        platform: &fixed_url,
    };
    let _fixed_portal = Serve {
        root,
        tokens: &tokens,
        data_dir: &dir.join("fixed-portal"),
        upstreams: &on_fixed,
        port: fixed_portal_port,
        extra: &[],
    }
    .start()?;
    let _fixed_nginx = nginx(
        &dir.join("nginx-fixed"),
        fixed_nginx_port,
        &emulator_url,
        &fixed_url,
    )?;
    for port in [fixed_port, fixed_nginx_port] {
        wait_for(
            port,
            |p| TcpStream::connect(("127.0.0.1", p)).is_ok(),
            "nginx",
        )?;
    }
    let sizes: Vec<String> = FIXED_ANSWERS
        .iter()
        .map(|(name, path, _)| format!("{name}={path}"))
        .collect();
    process::run(
        Command::new("node")
            .arg("bench/platform.mjs")
            .current_dir(root.join("e2e"))
            .env("EMULATOR_URL", &emulator_url)
            .env("PORTAL_URL", format!("http://127.0.0.1:{portal_port}"))
            .env("PORTAL_COLD_URL", format!("http://127.0.0.1:{cold_port}"))
            .env("FIXED_URL", &fixed_url)
            .env(
                "FIXED_PORTAL_URL",
                format!("http://127.0.0.1:{fixed_portal_port}"),
            )
            .env(
                "FIXED_NGINX_URL",
                format!("http://127.0.0.1:{fixed_nginx_port}"),
            )
            .env("FIXED_SIZES", sizes.join(","))
            .env("PORTAL_TOKEN", PORTAL_TOKEN)
            .env("BENCH_JSON", root.join("target/bench/platform.json")),
    )?;
    count_instructions(root, &dir, &tokens, &on_fixed, &emulator_url, &fixed_url)
}

/// User-space instructions per forwarded 1 KB GET, the portal's and nginx's, in front of the
/// fixed upstream (see `instructions`): added to `platform.json` and printed.
fn count_instructions(
    root: &Path,
    dir: &Path,
    tokens: &Path,
    on_fixed: &Upstreams,
    emulator_url: &str,
    fixed_url: &str,
) -> Result<()> {
    let (name, path, _) = FIXED_ANSWERS[0];
    let portal_port = port()?;
    let counts = dir.join("callgrind-portal");
    let portal = instructions::start(
        &Serve {
            root,
            tokens,
            data_dir: &dir.join("counted-portal"),
            upstreams: on_fixed,
            port: portal_port,
            extra: &[],
        }
        .command(),
        &counts,
        || healthy(portal_port),
    )?;
    let portal = instructions::per_get(
        portal,
        &counts,
        &format!("http://127.0.0.1:{portal_port}/api/platform{path}"),
        &[&format!("Authorization: Bearer {PORTAL_TOKEN}")],
    )?;
    let nginx_port = port()?;
    let nginx_dir = dir.join("nginx-counted");
    // One process (no master), so that the one counted is the one that forwards.
    let command = nginx_command(
        &nginx_dir,
        1,
        &nginx_proxy(nginx_port, emulator_url, fixed_url)?,
        "daemon off; master_process off;",
    )?;
    let counts = nginx_dir.join("callgrind");
    let nginx = instructions::start(&command, &counts, || {
        TcpStream::connect(("127.0.0.1", nginx_port)).is_ok()
    })?;
    let nginx = instructions::per_get(
        nginx,
        &counts,
        &format!("http://127.0.0.1:{nginx_port}{path}"),
        &[],
    )?;
    let ratio = portal as f64 / nginx as f64;
    println!(
        "forwarding {name}: user-space instructions per GET (callgrind, mean of {} GETs): portal {portal}, nginx {nginx} (portal/nginx x{ratio:.2})",
        instructions::COUNTED
    );
    let json = root.join("target/bench/platform.json");
    let text = std::fs::read_to_string(&json).map_err(|e| Failure(e.to_string()))?;
    let mut figures: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Failure(format!("{}: {e}", json.display())))?;
    figures["instructions_per_forwarded_get"] = serde_json::json!({
        "size": name,
        "gets_counted": instructions::COUNTED,
        "portal": portal,
        "nginx": nginx,
        "portal_to_nginx": ratio,
    });
    std::fs::write(&json, serde_json::to_string_pretty(&figures).expect("JSON"))
        .map_err(|e| Failure(e.to_string()))
}

/// nginx serving fixed JSON answers of [`FIXED_ANSWERS`] sizes at the Platform's paths.
fn fixed_upstream(dir: &Path, port: u16) -> Result<Running> {
    let mut locations = String::new();
    for (name, path, size) in FIXED_ANSWERS {
        // A JSON array of one string, `size` bytes in all.
        let file = dir.join(format!("{name}.json"));
        let body = format!("[\"{}\"]", "x".repeat(size - 4));
        std::fs::write(&file, body).map_err(|e| Failure(e.to_string()))?;
        locations.push_str(&format!(
            "    location = {path} {{ default_type application/json; alias {}; }}\n",
            file.display()
        ));
    }
    run_nginx(
        dir,
        1,
        &format!("  server {{\n    listen 127.0.0.1:{port};\n{locations}  }}\n"),
    )
}

/// nginx as the alternative, with two workers.
fn nginx(dir: &Path, port: u16, emulator_url: &str, upstream: &str) -> Result<Running> {
    run_nginx(dir, 2, &nginx_proxy(port, emulator_url, upstream)?)
}

/// The `http {}` of nginx as the alternative: `proxy_pass` to `upstream` plus the four
/// credential headers, with a token fetched from the emulator's IMS once by hand (nginx cannot
/// refresh it).
fn nginx_proxy(port: u16, emulator_url: &str, upstream: &str) -> Result<String> {
    let answer = process::output(Command::new("curl").args([
        "-s",
        "-X",
        "POST",
        &format!("{emulator_url}/ims/token/v3"),
        "-d",
        "grant_type=client_credentials&client_id=demo-client-id&client_secret=demo-client-secret&scope=openid",
    ]))
    .ok_or_else(|| Failure("could not fetch a token for nginx".into()))?;
    let token: serde_json::Value = serde_json::from_str(&answer)
        .map_err(|e| Failure(format!("IMS answered {answer}: {e}")))?;
    let token = token["access_token"]
        .as_str()
        .ok_or_else(|| Failure(format!("IMS answered {answer}")))?;
    let upstream = upstream.trim_start_matches("http://");
    Ok(format!(
        "  upstream platform {{ server {upstream}; keepalive 128; }}\n  server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://platform;\n      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_set_header Authorization \"Bearer {token}\";\n      proxy_set_header x-api-key demo-client-id;\n      proxy_set_header x-gw-ims-org-id {ORG_ID};\n      proxy_set_header x-sandbox-name prod;\n    }}\n  }}\n"
    ))
}

/// nginx in the foreground with `workers`, its files in `dir`, and `http` inside its `http {}`.
fn run_nginx(dir: &Path, workers: u32, http: &str) -> Result<Running> {
    spawn(
        &mut nginx_command(dir, workers, http, "daemon off;")?,
        &dir.join("stdout.log"),
    )
}

/// The command that runs nginx with `workers`, its files in `dir`, `http` inside its `http {}`,
/// and `globals` given on its command line.
fn nginx_command(dir: &Path, workers: u32, http: &str, globals: &str) -> Result<Command> {
    let config = format!(
        "worker_processes {workers};\nerror_log {dir}/error.log warn;\npid {dir}/nginx.pid;\nevents {{ worker_connections 4096; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;\n{http}}}\n",
        dir = dir.display(),
    );
    std::fs::create_dir_all(dir).map_err(|e| Failure(e.to_string()))?;
    let path = dir.join("nginx.conf");
    std::fs::write(&path, config).map_err(|e| Failure(e.to_string()))?;
    let mut command = Command::new("nginx");
    command
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(dir)
        .args(["-g", globals])
        .stdin(Stdio::null());
    Ok(command)
}

/// `cargo xtask soak [--seconds N]`: bounded (at most 600 s) load with faults; non-zero if an
/// answered activation is lost or one is doubled.
pub fn soak(root: &Path, seconds: u32) -> Result<()> {
    let tools = setup::run(root)?;
    build::frontend(root, &tools)?;
    build::proxy(root)?;
    let (port, emulator_port) = (port()?, port()?);
    let data_dir = root.join("target/bench-data/soak");
    let _ = std::fs::remove_dir_all(&data_dir);
    // A faster clock frees segments sooner (runs take 30 s on it) and makes the scheduled
    // export run during the soak.
    // Three hundred virtual users share the demo user: its per-user activation limit would turn
    // the soak into a test of the limiter.
    let _portal = Portal::start_with(
        root,
        port,
        emulator_port,
        &data_dir,
        &["--speed", "20", "--activations-per-minute", "100000"],
    )
    .map_err(Failure)?;
    process::run(
        Command::new("node")
            .arg("bench/soak.mjs")
            .current_dir(root.join("e2e"))
            .env("PORTAL_URL", format!("http://127.0.0.1:{port}"))
            .env(
                "PORTAL_EMULATOR_URL",
                format!("http://127.0.0.1:{emulator_port}"),
            )
            .env("SOAK_SECONDS", seconds.to_string())
            .env("BENCH_JSON", root.join("target/bench/soak.json")),
    )
}

fn frontend(root: &Path) -> Result<()> {
    let (port, emulator_port) = (port()?, port()?);
    let data_dir = root.join("target/bench-data/frontend");
    let _ = std::fs::remove_dir_all(&data_dir);
    let _portal = Portal::start_with(
        root,
        port,
        emulator_port,
        &data_dir,
        &["--qa-segments", "4000"],
    )
    .map_err(Failure)?;
    process::run(
        Command::new("node")
            .arg("bench/frontend.mjs")
            .current_dir(root.join("e2e"))
            .env("PORTAL_URL", format!("http://127.0.0.1:{port}"))
            .env("DIST_DIR", root.join("target/dist"))
            .env("BENCH_JSON", root.join("target/bench/frontend.json")),
    )
}
