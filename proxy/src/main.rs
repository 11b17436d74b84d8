//! `adhoc-portal`: the command line of the portal.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A forwarded GET allocates and frees a few hundred times; with glibc's allocator that was a
/// fifth of its instructions. mimalloc: 139.5k -> 119k instructions per forwarded 1 KB GET
/// (callgrind, `cargo xtask bench platform`), for about 11 MB more resident memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use proxy::auth::{HeaderAuth, IpNet, SharedSecret, parse_group_roles, read_tokens};
use proxy::cli::ActivateCommand;
use proxy::store::Database;
use proxy::{Application, AuthMode, Clock, InboundLimits, Placement, PlatformConfig, Settings};
use shared::guardrails::Limits;
use shared::ids::{DataflowId, SegmentId};
use shared::plan::Plan;
use shared::portal::Mode;

const RECONCILE_EVERY: Duration = Duration::from_secs(15);
/// How close to its time a scheduled plan is sent.
const PLANS_EVERY: Duration = Duration::from_secs(5);
/// How soon a notification goes out.
const NOTIFY_EVERY: Duration = Duration::from_secs(1);
/// How soon the history list shows that an activation's runs have finished.
const RUN_WATCH_EVERY: Duration = Duration::from_secs(5);
/// How soon another replica takes over the pending activations of one that died (three beats).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

#[derive(Parser)]
#[command(
    name = "adhoc-portal",
    version,
    about = "Ad-hoc Activation Portal for Adobe Experience Platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written on stderr: `text` for people, `json` (one object a line) for a
    /// log collector. What is logged is set by RUST_LOG (default `info`).
    #[arg(
        long,
        global = true,
        env = "ADHOC_PORTAL_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal against the real IMS and Platform (AEP_* settings or --config).
    Serve(ServeArgs),
    /// Serve the portal against the built-in emulator, with the demo dataset and a demo user.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Run the emulated IMS and Platform alone, for tests, benchmarks and other clients.
    #[cfg(feature = "demo")]
    Emulator(demo::EmulatorArgs),
    /// Activate segments through a running portal, and optionally wait for the runs.
    Activate(ActivateArgs),
    /// Copy a SQLite history into a new file, consistently, also while the portal serves it.
    /// (PostgreSQL: use pg_dump.)
    Backup(BackupArgs),
}

#[derive(Args)]
struct BackupArgs {
    /// The new file to write; it must not exist.
    #[arg(long)]
    to: PathBuf,
    /// The history to copy, as the portal was given it.
    #[arg(long, env = "ADHOC_PORTAL_DATABASE_URL", value_parser = Database::parse)]
    database_url: Option<Database>,
    /// Without --database-url: the portal's data folder, whose portal.sqlite is copied.
    #[arg(
        long,
        env = "ADHOC_PORTAL_DATA_DIR",
        default_value = "adhoc-portal-data"
    )]
    data_dir: PathBuf,
}

#[derive(Args)]
struct PortalArgs {
    /// Address to listen on.
    #[arg(long, env = "ADHOC_PORTAL_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Port to listen on; overrides the port of `--addr`.
    #[arg(long)]
    port: Option<u16>,
    /// Folder of the built frontend (`cargo xtask build` writes it).
    #[arg(long, env = "ADHOC_PORTAL_DIST_DIR", default_value = "target/dist")]
    dist_dir: PathBuf,
    /// Where the history is kept: `sqlite://PATH` (one process) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (one or several replicas). Default: the
    /// SQLite file `portal.sqlite` in --data-dir.
    #[arg(long, env = "ADHOC_PORTAL_DATABASE_URL", hide_env_values = true, value_parser = Database::parse)]
    database_url: Option<Database>,
    /// Where the history (`portal.sqlite`) and, in the demo, the exported files (`exports/`) go.
    #[arg(
        long,
        env = "ADHOC_PORTAL_DATA_DIR",
        default_value = "adhoc-portal-data"
    )]
    data_dir: PathBuf,
    /// The Platform's first-activation wait, in minutes: 60 as Adobe's current documentation
    /// says (the source document's older text: 20).
    #[arg(
        long,
        env = "ADHOC_PORTAL_FIRST_ACTIVATION_WAIT_MINUTES",
        default_value_t = 60
    )]
    first_activation_wait_minutes: i64,
    /// Most destination×segment entries in one activation.
    #[arg(long, env = "ADHOC_PORTAL_MAX_ENTRIES", default_value_t = 80)]
    max_entries: usize,
    /// Where browsers reach the portal when it is behind a TLS proxy (`https://portal.example`):
    /// a state-changing request's Origin must be exactly this. Without it, `http://` and the
    /// request's Host.
    #[arg(long, env = "ADHOC_PORTAL_PUBLIC_URL", value_parser = parse_origin)]
    public_url: Option<String>,
    /// Activations one user may start in a minute.
    #[arg(
        long,
        env = "ADHOC_PORTAL_ACTIVATIONS_PER_MINUTE",
        default_value_t = 30
    )]
    activations_per_minute: u32,
    /// Where to POST a signed JSON event for each activation's outcome and each run's end
    /// (repeatable). Needs a secret to sign with.
    #[arg(long = "webhook-url", value_parser = parse_http_url)]
    webhook_urls: Vec<String>,
    /// Signs the webhooks' bodies (`X-Portal-Signature: sha256=...`). Prefer the environment
    /// variable: a flag shows in the process list.
    #[arg(long, env = "ADHOC_PORTAL_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Plans with more entries than this need another activator's approval.
    #[arg(long, env = "ADHOC_PORTAL_APPROVAL_OVER")]
    approval_over: Option<usize>,
    /// Plans for this dataflow always need another activator's approval (repeatable).
    #[arg(long = "approval-destination")]
    approval_destinations: Vec<String>,
    /// How long a scheduled plan held up by a run in progress, the first-activation wait or a
    /// scheduled export may wait past its time before it is refused.
    #[arg(long, env = "ADHOC_PORTAL_PLAN_GRACE_MINUTES", default_value_t = 30)]
    plan_grace_minutes: u64,
    /// A Slack incoming-webhook URL for the same events, as sentences.
    #[arg(long, env = "ADHOC_PORTAL_SLACK_WEBHOOK_URL", hide_env_values = true, value_parser = parse_http_url)]
    slack_webhook_url: Option<String>,
}

/// An `http://` or `https://` URL.
fn parse_http_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(text.to_owned())
        }
        _ => Err(format!("{text:?} is not an http:// or https:// URL")),
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    portal: PortalArgs,
    /// A TOML file with the AEP_* keys (environment variables override it).
    #[arg(long, env = "ADHOC_PORTAL_CONFIG")]
    config: Option<PathBuf>,
    /// How portal users are identified.
    #[arg(long, env = "ADHOC_PORTAL_AUTH", value_enum)]
    auth: AuthKind,
    /// token: a file of `name:sha256-of-token:role[,role]` lines.
    #[arg(long, env = "ADHOC_PORTAL_TOKENS_FILE")]
    tokens_file: Option<PathBuf>,
    /// header: addresses or CIDR ranges of the SSO reverse proxies whose headers are trusted.
    #[arg(
        long = "trusted-proxy",
        env = "ADHOC_PORTAL_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<IpNet>,
    /// header: the header in which the SSO proxy sends the secret of ADHOC_PORTAL_PROXY_SECRET;
    /// when that variable is set, a request without it is not believed.
    #[arg(long, default_value = "x-portal-proxy-secret")]
    proxy_secret_header: String,
    #[arg(long, default_value = "x-forwarded-user")]
    user_header: String,
    #[arg(long, default_value = "x-forwarded-groups")]
    groups_header: String,
    /// header: `group=role[+role]`, e.g. `marketing=viewer+activator`.
    #[arg(
        long = "group-role",
        env = "ADHOC_PORTAL_GROUP_ROLES",
        value_delimiter = ','
    )]
    group_roles: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AuthKind {
    Header,
    Token,
}

#[derive(Args)]
struct ActivateArgs {
    #[arg(
        long,
        env = "ADHOC_PORTAL_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    portal_url: String,
    /// The dataflow (destination instance) id.
    #[arg(long)]
    destination: String,
    /// Segment (audience) ids; repeat or separate with commas.
    #[arg(long = "segment", required = true, value_delimiter = ',')]
    segments: Vec<String>,
    /// Wait until every run has ended; exit non-zero if any failed.
    #[arg(long)]
    wait: bool,
    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 3600)]
    wait_seconds: u64,
}

/// The portal bearer token (`token` mode) of `activate`: from the environment only, never an
/// argument that `ps` would show to every user of the machine.
const TOKEN_VARIABLE: &str = "ADHOC_PORTAL_TOKEN";
/// The secret the SSO proxy sends in `--proxy-secret-header`: from the environment only.
const PROXY_SECRET_VARIABLE: &str = "ADHOC_PORTAL_PROXY_SECRET";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::demo(args).await,
        #[cfg(feature = "demo")]
        Command::Emulator(args) => demo::run_emulator(args).await,
        Command::Activate(args) => match plan_of(&args.destination, &args.segments) {
            Ok(plan) => {
                proxy::cli::activate(ActivateCommand {
                    portal_url: args.portal_url,
                    token: std::env::var(TOKEN_VARIABLE).ok().filter(|t| !t.is_empty()),
                    plan,
                    wait: args.wait,
                    wait_limit: Duration::from_secs(args.wait_seconds),
                })
                .await
            }
            Err(message) => Err(message),
        },
        Command::Backup(args) => {
            let database = args
                .database_url
                .unwrap_or_else(|| Database::Sqlite(args.data_dir.join("portal.sqlite")));
            proxy::store::backup(&database, &args.to).await.map(|()| {
                eprintln!(
                    "adhoc-portal: copied {} to {}",
                    database.describe(),
                    args.to.display()
                )
            })
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("adhoc-portal: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `https://portal.example[:port]`, without a path: what browsers send as `Origin`.
fn parse_origin(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("{text:?}: {e}"))?;
    let (Some(host), "http" | "https") = (url.host_str(), url.scheme()) else {
        return Err(format!(
            "{text:?}: write the portal's address, like https://portal.example"
        ));
    };
    if url.path() != "/" || url.query().is_some() {
        return Err(format!("{text:?}: give the origin only, without a path"));
    }
    Ok(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

/// `--destination` and `--segment`s as a plan, refused here if an id could not be the Platform's.
fn plan_of(destination: &str, segments: &[String]) -> Result<Plan, String> {
    let dataflow = DataflowId::parse(destination).map_err(|e| format!("--destination: {e}"))?;
    let mut plan = Plan::new();
    for segment in segments {
        let segment = SegmentId::parse(segment.trim()).map_err(|e| format!("--segment: {e}"))?;
        plan.add(dataflow.clone(), segment);
    }
    Ok(plan)
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let platform = PlatformConfig::load(args.config.as_deref(), |key| std::env::var(key).ok())
        .map_err(|e| e.to_string())?;
    let auth = match args.auth {
        AuthKind::Token => {
            let file = args
                .tokens_file
                .as_deref()
                .ok_or("--auth token needs --tokens-file (lines of name:sha256:roles)")?;
            AuthMode::Token(read_tokens(file)?)
        }
        AuthKind::Header => {
            if args.trusted_proxies.is_empty() {
                return Err(
                    "--auth header needs --trusted-proxy with the address of the SSO reverse proxy"
                        .into(),
                );
            }
            let shared_secret = std::env::var(PROXY_SECRET_VARIABLE)
                .ok()
                .filter(|secret| !secret.is_empty())
                .map(|secret| SharedSecret {
                    header: args.proxy_secret_header,
                    value: secret.into(),
                });
            AuthMode::Header(HeaderAuth {
                shared_secret,
                trusted_proxies: args.trusted_proxies,
                user_header: args.user_header,
                groups_header: args.groups_header,
                group_roles: parse_group_roles(&args.group_roles)?,
            })
        }
    };
    run_portal(args.portal, platform, auth, Mode::Live).await
}

async fn run_portal(
    args: PortalArgs,
    platform: PlatformConfig,
    auth: AuthMode,
    mode: Mode,
) -> Result<(), String> {
    let limits = Limits {
        max_entries: args.max_entries,
        first_activation_wait_seconds: args.first_activation_wait_minutes * 60,
    };
    let mut addr = args.addr;
    if let Some(port) = args.port {
        addr.set_port(port);
    }
    if !args.webhook_urls.is_empty() && args.webhook_secret.is_none() {
        return Err(
            "--webhook-url needs a secret to sign with: set ADHOC_PORTAL_WEBHOOK_SECRET (or --webhook-secret)".into(),
        );
    }
    let settings = Settings {
        platform,
        auth,
        limits,
        mode,
        clock: Clock::System,
        public_origin: args.public_url,
        activations_per_user_per_minute: args.activations_per_minute,
        receivers: proxy::notify::Receivers {
            webhooks: args.webhook_urls,
            secret: args.webhook_secret.map(Into::into),
            slack: args.slack_webhook_url,
        },
        approvals: proxy::plans::Approvals {
            over_entries: args.approval_over,
            destinations: args.approval_destinations,
        },
        plan_grace: Duration::from_secs(args.plan_grace_minutes * 60),
    };
    let place = Placement {
        data_dir: args.data_dir,
        database: args.database_url,
        dist_dir: args.dist_dir,
        addr,
        inbound: InboundLimits::default(),
    };
    let application = Application::build(settings, place)
        .await
        .map_err(|e| e.to_string())?;
    application.spawn_heartbeat(HEARTBEAT_EVERY);
    application.spawn_reconciler(RECONCILE_EVERY);
    application.spawn_run_watch(RUN_WATCH_EVERY);
    application.spawn_notifier(NOTIFY_EVERY);
    application.spawn_planner(PLANS_EVERY);
    tracing::info!(
        "portal at http://{} ({mode:?} mode)",
        application.local_addr()
    );
    application
        .run_until(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

/// `demo` and `emulator`: the portal with its built-in emulator, or the emulator alone.
#[cfg(feature = "demo")]
mod demo {
    use std::net::SocketAddr;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use clap::Args;
    use emulator::Emulator;
    use proxy::{ApiVersion, AuthMode, PlatformConfig};
    use shared::portal::Mode;
    use tokio::net::TcpListener;

    use super::{PortalArgs, run_portal, shutdown_signal};

    #[derive(Args)]
    pub struct DemoArgs {
        #[command(flatten)]
        pub portal: PortalArgs,
        /// How fast the emulator's clock runs: 60 makes a minute pass every second.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Where the embedded emulator listens (loopback; port 0 picks a free one). Its admin API
        /// under `/emulator/` lets tests inject faults.
        #[arg(long, default_value = "127.0.0.1:0")]
        emulator_addr: SocketAddr,
        /// Segments on the demo's "Bulk QA export (S3)" destination; 4000 (Adobe's per-sandbox
        /// audience guardrail) for the picker benchmarks.
        #[arg(long, default_value_t = emulator::dataset::BULK_SEGMENTS)]
        qa_segments: usize,
    }

    #[derive(Args)]
    pub struct EmulatorArgs {
        #[arg(long, default_value = "127.0.0.1:9090")]
        addr: SocketAddr,
        /// Listen on a non-loopback address although the admin API under `/emulator/` has no
        /// authentication: anyone who reaches it can change the emulated Platform.
        #[arg(long)]
        allow_remote: bool,
        /// Segments on the "Bulk QA export (S3)" destination (benchmarks activate many).
        #[arg(long, default_value_t = emulator::dataset::BULK_SEGMENTS)]
        qa_segments: usize,
        /// Exported files go under `DIR/exports/`.
        #[arg(long, default_value = "adhoc-portal-data")]
        data_dir: PathBuf,
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    }

    pub async fn demo(args: DemoArgs) -> Result<(), String> {
        let emulator = start_emulator(&args.portal.data_dir, args.speed, args.qa_segments)?;
        if !args.emulator_addr.ip().is_loopback() {
            return Err("--emulator-addr must be a loopback address: the emulator has no authentication of its own".into());
        }
        let listener = bind(args.emulator_addr).await?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        tokio::spawn(axum::serve(listener, emulator.router()).into_future());
        let platform = PlatformConfig::for_emulator(&emulator, &url, ApiVersion::V2);
        tracing::info!(
            "emulated Platform at {url}, exports in {}",
            args.portal.data_dir.join("exports").display()
        );
        run_portal(args.portal, platform, AuthMode::Demo, Mode::Demo).await
    }

    pub async fn run_emulator(args: EmulatorArgs) -> Result<(), String> {
        if !args.addr.ip().is_loopback() && !args.allow_remote {
            return Err(format!(
                "--addr {} is not a loopback address, and the emulator's admin API has no authentication; add --allow-remote if this network is private",
                args.addr
            ));
        }
        let emulator = start_emulator(&args.data_dir, args.speed, args.qa_segments)?;
        let listener = bind(args.addr).await?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!(
            "emulated IMS and Platform at http://{local} (client id demo-client-id, org {})",
            emulator::ORG_ID
        );
        axum::serve(listener, emulator.router())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| format!("server failed: {e}"))
    }

    fn start_emulator(
        data_dir: &Path,
        speed: f64,
        bulk_segments: usize,
    ) -> Result<Emulator, String> {
        create_dir(data_dir)?;
        if !(speed.is_finite() && speed > 0.0) {
            return Err(format!("--speed must be a positive number, not {speed}"));
        }
        let emulator = Emulator::demo(data_dir, speed, bulk_segments);
        emulator.spawn_ticker(Duration::from_millis(250));
        Ok(emulator)
    }

    fn create_dir(dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "cannot create the data folder {}: {e} (choose another with --data-dir)",
                dir.display()
            )
        })
    }

    async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
        TcpListener::bind(addr).await.map_err(|e| {
            format!("cannot listen on {addr}: {e} (choose another with --port or --addr)")
        })
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_plan_is_checked_before_anything_is_sent() {
        let plan = plan_of("flow-1", &["a".into(), " b ".into(), "a".into()]).unwrap();
        assert_eq!(plan.count(), 2, "trimmed, and a repeated segment once");
        let bad = plan_of("flow-1", &["a/b".into()]).unwrap_err();
        assert!(bad.starts_with("--segment: segment id \"a/b\""), "{bad}");
        let bad = plan_of("", &["a".into()]).unwrap_err();
        assert!(bad.starts_with("--destination"), "{bad}");
    }

    #[test]
    fn the_public_url_is_an_origin() {
        assert_eq!(
            parse_origin("https://portal.example/").unwrap(),
            "https://portal.example"
        );
        assert_eq!(
            parse_origin("http://10.0.0.1:8443").unwrap(),
            "http://10.0.0.1:8443"
        );
        for bad in [
            "portal.example",
            "https://portal.example/app",
            "ftp://x",
            "https://x?y=1",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
