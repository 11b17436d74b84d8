//! Instructions per forwarded GET, counted by callgrind for the portal and for nginx in front of
//! the same fixed upstream. Throughput on two shared cores swings from run to run; a count of
//! user-space instructions does not (the same binary and requests give the same total within a
//! fraction of a percent, whatever else the machine is doing). The kernel's share (loopback TCP,
//! the same system calls for both, as strace shows) is not in it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench::{Running, spawn};
use crate::process::{self, Failure, Result};

/// GETs sent before counting starts: connections, pools and caches settle.
const WARM_UP: usize = 200;
/// GETs counted; the figure is their mean.
pub(crate) const COUNTED: usize = 2000;
/// Startup under callgrind is slow (the portal's binary is large).
const STARTUP: Duration = Duration::from_secs(120);

/// `command` started under callgrind with counting off, its readiness awaited by `ready`.
pub(crate) fn start(command: &Command, dir: &Path, ready: impl Fn() -> bool) -> Result<Running> {
    std::fs::create_dir_all(dir).map_err(|e| Failure(e.to_string()))?;
    let mut counted = Command::new("valgrind");
    counted
        .arg("--tool=callgrind")
        .arg("--instr-atstart=no")
        .arg(format!(
            "--callgrind-out-file={}/callgrind.%p",
            dir.display()
        ))
        .arg(command.get_program())
        .args(command.get_args())
        .stdin(Stdio::null());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => counted.env(key, value),
            None => counted.env_remove(key),
        };
    }
    let log = dir.join("callgrind.log");
    let mut running = spawn(&mut counted, &log)?;
    let deadline = Instant::now() + STARTUP;
    while !ready() {
        if running.has_exited() || Instant::now() > deadline {
            return Err(Failure(format!(
                "{:?} did not start under callgrind within {STARTUP:?} (log: {})",
                command.get_program(),
                log.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(running)
}

/// Mean user-space instructions `running` spends on one GET of `url` with `headers`, over
/// [`COUNTED`] GETs on one keep-alive connection, after [`WARM_UP`] uncounted ones on another.
/// Stops it.
pub(crate) fn per_get(running: Running, dir: &Path, url: &str, headers: &[&str]) -> Result<u64> {
    let pid = running.pid().to_string();
    gets(dir, url, headers, WARM_UP)?;
    callgrind_control(&["--instr=on", &pid])?;
    gets(dir, url, headers, COUNTED)?;
    callgrind_control(&["--instr=off", &pid])?;
    callgrind_control(&["--dump", &pid])?;
    // Stopped before its dumps are read: the last is written on the way out.
    drop(running);
    let total = counted_total(dir, &pid)?;
    Ok(total / COUNTED as u64)
}

/// `count` GETs of `url` by one curl, which keeps its connection open between them; each must
/// answer 2xx (`--fail-early`: without it curl's status is only the last transfer's).
fn gets(dir: &Path, url: &str, headers: &[&str], count: usize) -> Result<()> {
    let config = dir.join("curl.config");
    let lines: String = (0..count)
        .map(|_| format!("url = \"{url}\"\noutput = \"/dev/null\"\n"))
        .collect();
    std::fs::write(&config, lines).map_err(|e| Failure(e.to_string()))?;
    let mut curl = Command::new("curl");
    curl.args([
        "--silent",
        "--show-error",
        "--fail",
        "--fail-early",
        "--config",
    ])
    .arg(&config);
    for header in headers {
        curl.args(["--header", header]);
    }
    process::run(curl.stdout(Stdio::null()))
}

/// callgrind_control under a deadline: it reaches the process through vgdb, which a machine
/// that restricts ptrace can leave waiting for ever.
fn callgrind_control(args: &[&str]) -> Result<()> {
    process::run(
        Command::new("timeout")
            .args(["60", "callgrind_control"])
            .args(args)
            .stdout(Stdio::null()),
    )
}

/// The instructions in the dumps of process `pid`: only the counted GETs, since counting was
/// on for them alone.
fn counted_total(dir: &Path, pid: &str) -> Result<u64> {
    let prefix = format!("callgrind.{pid}");
    let mut total = 0;
    let mut dumps = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| Failure(e.to_string()))? {
        let path = entry.map_err(|e| Failure(e.to_string()))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.starts_with(&prefix) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Failure(e.to_string()))?;
        total += dump_total(&text);
        dumps += 1;
    }
    if total == 0 {
        return Err(Failure(format!(
            "callgrind wrote no counts for process {pid} ({dumps} dumps in {})",
            dir.display()
        )));
    }
    Ok(total)
}

/// A dump's event total: its `totals:` line (its `summary:` line says 0 in a dump that
/// counting was switched on for by callgrind_control).
fn dump_total(text: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix("totals:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::dump_total;

    #[test]
    fn a_dumps_total_is_read_from_its_totals_line() {
        // As callgrind 3.19 writes a dump asked for by callgrind_control.
        let dump = "version: 1\ncmd:  adhoc-portal serve\npart: 1\ndesc: Trigger: dump\nevents: Ir\nsummary: 0\n\nfl=(1) ???\nfn=(1) main\n0 5\n\ntotals: 280580551\n";
        assert_eq!(dump_total(dump), 280_580_551);
        assert_eq!(dump_total("events: Ir\nsummary: 0\n"), 0);
    }
}
