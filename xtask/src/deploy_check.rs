//! deploy/'s files checked by the tools that will read them: the systemd unit by
//! `systemd-analyze verify` (its binary path pointed at the release build, which must exist),
//! the nginx site by `nginx -t` inside a minimal main configuration, with a throw-away
//! certificate where the site names the real one. Any warning fails the check.

use std::path::Path;
use std::process::Command;

use crate::process::{Failure, Result};

const INSTALLED_BINARY: &str = "/usr/local/bin/adhoc-portal";
const CERTIFICATE: &str = "/etc/ssl/certs/portal.example.pem";
const KEY: &str = "/etc/ssl/private/portal.example.key";

pub fn check(root: &Path) -> Result<()> {
    let dir = root.join("target/deploy-check");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Failure(e.to_string()))?;
    systemd_unit(root, &dir)?;
    nginx_site(root, &dir)
}

fn systemd_unit(root: &Path, dir: &Path) -> Result<()> {
    let unit = read(&root.join("deploy/adhoc-portal.service"))?;
    let binary = crate::build::release_binary(root);
    let copy = dir.join("adhoc-portal.service");
    write(
        &copy,
        &unit.replace(INSTALLED_BINARY, &binary.display().to_string()),
    )?;
    silent_success(
        Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&copy),
    )?;
    println!("deploy/adhoc-portal.service: systemd-analyze verify found nothing to say");
    Ok(())
}

fn nginx_site(root: &Path, dir: &Path) -> Result<()> {
    let site = read(&root.join("deploy/nginx/adhoc-portal.conf"))?;
    let (certificate, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    crate::process::output(
        Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=portal.example", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&certificate),
    )
    .ok_or_else(|| Failure("openssl could not make a throw-away certificate".into()))?;
    let site = site
        .replace(CERTIFICATE, &certificate.display().to_string())
        .replace(KEY, &key.display().to_string());
    write(&dir.join("site.conf"), &site)?;
    let main = format!(
        "pid {dir}/nginx.pid;\nerror_log {dir}/error.log;\nevents {{}}\nhttp {{\n    include {dir}/site.conf;\n}}\n",
        dir = dir.display()
    );
    write(&dir.join("nginx.conf"), &main)?;
    let output = Command::new("nginx")
        .arg("-t")
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-p")
        .arg(dir)
        .output()
        .map_err(|e| Failure(format!("cannot run nginx -t: {e}")))?;
    let said = String::from_utf8_lossy(&output.stderr);
    let complaints: Vec<&str> = said
        .lines()
        .filter(|line| !line.ends_with("syntax is ok") && !line.ends_with("test is successful"))
        .collect();
    if !output.status.success() || !complaints.is_empty() {
        return Err(Failure(format!(
            "nginx -t on deploy/nginx/adhoc-portal.conf:\n{said}"
        )));
    }
    println!("deploy/nginx/adhoc-portal.conf: nginx -t is satisfied");
    Ok(())
}

/// Runs `command`; anything it prints, or a failure, fails the check.
fn silent_success(command: &mut Command) -> Result<()> {
    let output = command
        .output()
        .map_err(|e| Failure(format!("cannot run {:?}: {e}", command.get_program())))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && said.trim().is_empty() {
        Ok(())
    } else {
        Err(Failure(format!(
            "{:?} said:\n{said}",
            command.get_program()
        )))
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Failure(format!("{}: {e}", path.display())))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Failure(format!("{}: {e}", path.display())))
}
