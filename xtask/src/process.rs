//! Running the tools that do the work, saying what runs and failing with what failed.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

pub type Result<T> = std::result::Result<T, Failure>;

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `command` with inherited output and fails unless it exits with 0.
pub fn run(command: &mut Command) -> Result<()> {
    let line = describe(command);
    println!("$ {line}");
    let status = command
        .status()
        .map_err(|e| Failure(format!("cannot start `{line}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure(format!("`{line}` failed ({status})")))
    }
}

/// Runs `command` quietly and returns its standard output, or `None` if it cannot run or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The cargo that runs this xtask (rustup's stable on this kind of machine), for host builds.
pub fn cargo_host(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

/// Runs one named step of a long command: says what it does, shows every 30 s that it is still
/// alive (cargo, apt and npm can be silent for minutes on 2 cores), and says how long it took.
pub fn step<T>(what: &str, body: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("==> {what}");
    let start = Instant::now();
    let (done, heartbeat_stops) = mpsc::channel::<()>();
    let heartbeat = {
        let what = what.to_owned();
        std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) =
                heartbeat_stops.recv_timeout(Duration::from_secs(30))
            {
                println!("... still {what} ({}s so far)", start.elapsed().as_secs());
            }
        })
    };
    let outcome = body();
    drop(done);
    let _ = heartbeat.join();
    let verdict = if outcome.is_ok() { "done" } else { "FAILED" };
    println!(
        "<== {what}: {verdict} in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    outcome
}

/// Like [`output`], but kills the command if it has not finished within `limit`.
pub fn output_within(command: &mut Command, limit: Duration) -> Option<String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut text = String::new();
    child.stdout.take()?.read_to_string(&mut text).ok()?;
    Some(text)
}
