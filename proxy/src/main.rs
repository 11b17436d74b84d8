//! `adhoc-portal`: the command line of the portal.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use emulator::Emulator;
use proxy::{app, static_files::StaticFiles};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "adhoc-portal",
    version,
    about = "Ad-hoc Activation Portal for Adobe Experience Platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal against the built-in emulator, with the demo dataset and a demo user.
    Demo(DemoArgs),
    /// Run the emulated IMS and Platform alone, for tests, benchmarks and other clients.
    Emulator(EmulatorArgs),
}

#[derive(Args)]
struct DemoArgs {
    /// Address to listen on.
    #[arg(long, env = "ADHOC_PORTAL_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Port to listen on; overrides the port of `--addr`.
    #[arg(long)]
    port: Option<u16>,
    /// Folder of the built frontend (`cargo xtask build` writes it).
    #[arg(long, env = "ADHOC_PORTAL_DIST_DIR", default_value = "target/dist")]
    dist_dir: PathBuf,
    #[command(flatten)]
    platform: EmulatedPlatform,
}

#[derive(Args)]
struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9090")]
    addr: SocketAddr,
    #[command(flatten)]
    platform: EmulatedPlatform,
}

#[derive(Args)]
struct EmulatedPlatform {
    /// Where the history and the exported files (`exports/`) go.
    #[arg(
        long,
        env = "ADHOC_PORTAL_DATA_DIR",
        default_value = "adhoc-portal-data"
    )]
    data_dir: PathBuf,
    /// How fast the emulator's clock runs: 60 makes a minute pass every second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let result = match Cli::parse().command {
        Command::Demo(args) => demo(args).await,
        Command::Emulator(args) => run_emulator(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("adhoc-portal: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn demo(args: DemoArgs) -> Result<(), String> {
    let static_files = StaticFiles::open(&args.dist_dir).map_err(|e| e.to_string())?;
    let emulator = start_emulator(&args.platform.data_dir, args.platform.speed)?;
    let emulator_listener = bind("127.0.0.1:0".parse().expect("a valid address")).await?;
    let emulator_url = format!(
        "http://{}",
        emulator_listener.local_addr().map_err(|e| e.to_string())?
    );
    tokio::spawn(axum::serve(emulator_listener, emulator.router()).into_future());
    let mut addr = args.addr;
    if let Some(port) = args.port {
        addr.set_port(port);
    }
    let listener = bind(addr).await?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        "demo portal at http://{local}, emulated Platform at {emulator_url}, exports in {}",
        args.platform.data_dir.join("exports").display()
    );
    serve(listener, app(static_files)).await
}

async fn run_emulator(args: EmulatorArgs) -> Result<(), String> {
    let emulator = start_emulator(&args.platform.data_dir, args.platform.speed)?;
    let listener = bind(args.addr).await?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        "emulated IMS and Platform at http://{local} (client id demo-client-id, org {})",
        emulator::ORG_ID
    );
    serve(listener, emulator.router()).await
}

fn start_emulator(data_dir: &Path, speed: f64) -> Result<Emulator, String> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        format!(
            "cannot create the data folder {}: {e} (choose another with --data-dir)",
            data_dir.display()
        )
    })?;
    if !(speed.is_finite() && speed > 0.0) {
        return Err(format!("--speed must be a positive number, not {speed}"));
    }
    let emulator = Emulator::demo(data_dir, speed);
    emulator.spawn_ticker(Duration::from_millis(250));
    Ok(emulator)
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e} (choose another with --port or --addr)"))
}

async fn serve(listener: TcpListener, router: axum::Router) -> Result<(), String> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
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
