//! `adhoc-portal`: the command line of the portal.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
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
    let mut addr = args.addr;
    if let Some(port) = args.port {
        addr.set_port(port);
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e} (choose another with --port)"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!("demo portal at http://{local}");
    axum::serve(listener, app(static_files))
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
