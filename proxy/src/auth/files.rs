//! The configuration of portal users: the tokens file of `token` mode and the `group=role`
//! pairs of `header` mode. Errors name the line or the pair and say how to write it.

use std::collections::BTreeMap;
use std::path::Path;

use shared::portal::Role;

use super::TokenUser;

/// `name:sha256-of-token:role[,role]` per line; blank lines and `#` comments are skipped. The
/// file must be readable by its owner only and name at least one user.
pub fn read_tokens(file: &Path) -> Result<Vec<TokenUser>, String> {
    refuse_if_shared(file)?;
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let users = parse_tokens(&text)
        .map_err(|(line, why)| format!("{} line {line}: {why}", file.display()))?;
    if users.is_empty() {
        return Err(format!(
            "{} names no user: add a line name:sha256-of-token:role[,role]",
            file.display()
        ));
    }
    Ok(users)
}

/// Token digests are as good as passwords to an offline guesser: nobody but the owner reads them.
#[cfg(unix)]
fn refuse_if_shared(file: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?
        .permissions()
        .mode();
    if mode & 0o077 == 0 {
        Ok(())
    } else {
        Err(format!(
            "{} can be read by other users (mode {:o}): chmod 600 it",
            file.display(),
            mode & 0o777
        ))
    }
}

#[cfg(not(unix))]
fn refuse_if_shared(_file: &Path) -> Result<(), String> {
    Ok(())
}

fn parse_tokens(text: &str) -> Result<Vec<TokenUser>, (usize, String)> {
    text.lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(i, line)| parse_token_line(line).map_err(|why| (i + 1, why)))
        .collect()
}

fn parse_token_line(line: &str) -> Result<TokenUser, String> {
    let mut parts = line.split(':');
    let (Some(name), Some(sha256), Some(roles), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("write name:sha256:role[,role]".into());
    };
    if name.trim().is_empty() {
        return Err("the name before the first `:` is empty".into());
    }
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(
            "the token must be given as its SHA-256 in hex (64 characters): \
             printf %s \"$TOKEN\" | sha256sum"
                .into(),
        );
    }
    Ok(TokenUser {
        name: name.trim().to_owned(),
        sha256: sha256.to_ascii_lowercase(),
        roles: parse_roles(roles, ',')?,
    })
}

/// `--group-role marketing=viewer+activator`, repeated.
pub fn parse_group_roles(pairs: &[String]) -> Result<BTreeMap<String, Vec<Role>>, String> {
    pairs
        .iter()
        .map(|pair| {
            let (group, roles) = pair
                .split_once('=')
                .filter(|(group, _)| !group.trim().is_empty())
                .ok_or_else(|| format!("--group-role {pair:?}: write group=role[+role]"))?;
            let roles =
                parse_roles(roles, '+').map_err(|why| format!("--group-role {pair:?}: {why}"))?;
            Ok((group.trim().to_owned(), roles))
        })
        .collect()
}

fn parse_roles(text: &str, separator: char) -> Result<Vec<Role>, String> {
    text.split(separator)
        .map(|role| match role.trim() {
            "viewer" => Ok(Role::Viewer),
            "activator" => Ok(Role::Activator),
            other => Err(format!("unknown role {other:?}: use viewer or activator")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "7137e16f75a1d75b6fd65930672814806cdc1a0d6e0aa38611afc996a402258b";

    #[test]
    fn reads_users_and_skips_comments_and_blank_lines() {
        let text = format!(
            "# automation\n\nci:{DIGEST}:viewer,activator\n  ops:{}:viewer  \n",
            DIGEST.to_ascii_uppercase()
        );
        let users = parse_tokens(&text).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].name, "ci");
        assert_eq!(users[0].roles, [Role::Viewer, Role::Activator]);
        assert_eq!(
            users[1].sha256, DIGEST,
            "digests are compared in lower case"
        );
        assert_eq!(users[1].roles, [Role::Viewer]);
    }

    #[test]
    fn a_bad_line_is_named_with_its_fix() {
        let cases = [
            ("ci:viewer".to_owned(), "write name:sha256:role"),
            ("ci:plain-token:viewer".to_owned(), "SHA-256 in hex"),
            (format!("ci:{DIGEST}:admin"), "unknown role \"admin\""),
            (format!(":{DIGEST}:viewer"), "name"),
            (
                format!("ci:{DIGEST}:viewer:extra"),
                "write name:sha256:role",
            ),
        ];
        for (line, expected) in cases {
            let text = format!("# first\n{line}\n");
            let (number, why) = parse_tokens(&text).unwrap_err();
            assert_eq!(number, 2, "{line}");
            assert!(why.contains(expected), "{line}: {why}");
        }
    }

    #[test]
    fn a_tokens_file_others_can_read_or_with_no_user_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("tokens.txt");
        std::fs::write(&file, format!("ci:{DIGEST}:viewer\n")).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let why = read_tokens(&file).unwrap_err();
        assert!(why.contains("chmod 600"), "{why}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_tokens(&file).unwrap().len(), 1);
        std::fs::write(&file, "# nobody yet\n").unwrap();
        let why = read_tokens(&file).unwrap_err();
        assert!(why.contains("names no user"), "{why}");
    }

    #[test]
    fn group_roles_map_groups_to_roles() {
        let map = parse_group_roles(&[
            "marketing=viewer+activator".into(),
            " analysts = viewer".into(),
        ])
        .unwrap();
        assert_eq!(map["marketing"], [Role::Viewer, Role::Activator]);
        assert_eq!(map["analysts"], [Role::Viewer]);
        for bad in ["marketing", "=viewer", "marketing=owner"] {
            let why = parse_group_roles(&[bad.into()]).unwrap_err();
            assert!(why.contains(bad), "{why}");
        }
    }
}
