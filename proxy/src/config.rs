//! Production settings: the `AEP_*` environment variables of the README, or the same keys in a
//! TOML file (`client_id` and `AEP_CLIENT_ID` are the same key). Every missing setting is named
//! at start-up, all at once.

use std::collections::BTreeMap;
use std::path::Path;

use secrecy::SecretString;

pub const DEFAULT_PLATFORM_URL: &str = "https://platform.adobe.io";
pub const DEFAULT_IMS_URL: &str = "https://ims-na1.adobelogin.com";

/// Which adhocrun the proxy speaks: v2 by default, the seed's deprecated v1 by configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    V2,
}

/// Where and as whom the proxy reaches IMS and the Platform.
#[derive(Clone, Debug)]
pub struct PlatformConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    pub org_id: String,
    pub scopes: String,
    pub sandbox_name: String,
    pub sandbox_id: Option<String>,
    pub platform_url: String,
    pub ims_url: String,
    pub api_version: ApiVersion,
}

/// The settings that reach an emulator listening at `url`, with the credentials it accepts.
#[cfg(feature = "demo")]
impl PlatformConfig {
    pub fn for_emulator(emulator: &emulator::Emulator, url: &str, api_version: ApiVersion) -> Self {
        let credentials = emulator.config().credentials.clone();
        Self {
            client_id: credentials.client_id,
            client_secret: SecretString::from(credentials.client_secret),
            org_id: credentials.org_id,
            scopes: credentials.scopes.join(","),
            sandbox_name: "prod".into(),
            sandbox_id: None,
            platform_url: url.to_owned(),
            ims_url: url.to_owned(),
            api_version,
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "missing settings: {}. Set them as environment variables or in the TOML file given with --config.",
        .0.join(", ")
    )]
    Missing(Vec<&'static str>),
    #[error("{0}")]
    Invalid(String),
}

const REQUIRED: &[&str] = &[
    "AEP_CLIENT_ID",
    "AEP_CLIENT_SECRET",
    "AEP_ORG_ID",
    "AEP_SCOPES",
    "AEP_SANDBOX_NAME",
];

/// The client secret and tokens travel to these addresses: `https`, unless the address is this
/// machine (an emulator or a local tunnel).
fn secure_url(key: &str, text: &str) -> Result<String, ConfigError> {
    let url = reqwest::Url::parse(text)
        .map_err(|e| ConfigError::Invalid(format!("{key} {text:?} is not an address: {e}")))?;
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(text.to_owned()),
        "http" if loopback => Ok(text.to_owned()),
        _ => Err(ConfigError::Invalid(format!(
            "{key} {text:?} must use https: the client secret and the access token travel there"
        ))),
    }
}

/// A setting sent as a header on every Platform call: refused at start when a header cannot
/// carry it, rather than failing every call later.
fn header_value(key: &str, value: String) -> Result<String, ConfigError> {
    if reqwest::header::HeaderValue::from_str(&value).is_ok() {
        Ok(value)
    } else {
        let source = if key.starts_with("AEP_SANDBOX") {
            "Experience Platform's Sandboxes page"
        } else {
            "the Developer Console"
        };
        Err(ConfigError::Invalid(format!(
            "{key} contains a character an HTTP header cannot carry (a line break or another control character): copy it again from {source}"
        )))
    }
}

impl PlatformConfig {
    /// Reads `file` (if any), then lets the environment override it.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut values = match file {
            Some(path) => read_toml(path)?,
            None => BTreeMap::new(),
        };
        for key in REQUIRED.iter().chain(&[
            "AEP_SANDBOX_ID",
            "AEP_PLATFORM_URL",
            "AEP_IMS_URL",
            "AEP_API_VERSION",
        ]) {
            if let Some(value) = env(key).filter(|v| !v.trim().is_empty()) {
                values.insert((*key).to_owned(), value);
            }
        }
        let missing: Vec<&'static str> = REQUIRED
            .iter()
            .copied()
            .filter(|k| !values.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError::Missing(missing));
        }
        let mut take = |key: &str| values.remove(key).unwrap_or_default();
        let api_version = match take("AEP_API_VERSION").as_str() {
            "" | "2" => ApiVersion::V2,
            "1" => ApiVersion::V1,
            other => {
                return Err(ConfigError::Invalid(format!(
                    "AEP_API_VERSION (api_version) must be 1 or 2, not {other:?}"
                )));
            }
        };
        let url = |key: &str, value: String, default: &str| {
            if value.is_empty() {
                Ok(default.to_owned())
            } else {
                secure_url(key, value.trim_end_matches('/'))
            }
        };
        let platform_url = url(
            "AEP_PLATFORM_URL",
            take("AEP_PLATFORM_URL"),
            DEFAULT_PLATFORM_URL,
        )?;
        let ims_url = url("AEP_IMS_URL", take("AEP_IMS_URL"), DEFAULT_IMS_URL)?;
        Ok(Self {
            client_id: header_value("AEP_CLIENT_ID", take("AEP_CLIENT_ID"))?,
            client_secret: SecretString::from(take("AEP_CLIENT_SECRET")),
            org_id: header_value("AEP_ORG_ID", take("AEP_ORG_ID"))?,
            scopes: take("AEP_SCOPES").replace(' ', ""),
            sandbox_name: header_value("AEP_SANDBOX_NAME", take("AEP_SANDBOX_NAME"))?,
            sandbox_id: Some(header_value("AEP_SANDBOX_ID", take("AEP_SANDBOX_ID"))?)
                .filter(|v| !v.is_empty()),
            platform_url,
            ims_url,
            api_version,
        })
    }
}

/// Top-level keys of the file, upper-cased and `AEP_`-prefixed, as strings.
fn read_toml(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::Invalid(format!(
            "cannot read the config file {}: {e}",
            path.display()
        ))
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| ConfigError::Invalid(format!("{} is not valid TOML: {e}", path.display())))?;
    Ok(table
        .into_iter()
        .filter_map(|(key, value)| {
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                _ => return None,
            };
            let key = key.to_uppercase();
            let key = if key.starts_with("AEP_") {
                key
            } else {
                format!("AEP_{key}")
            };
            Some((key, value))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn the_secret_travels_over_https_only_unless_to_this_machine() {
        for good in [
            "https://platform.adobe.io",
            "http://127.0.0.1:9090",
            "http://localhost:9090",
            "http://[::1]:9090",
        ] {
            assert!(secure_url("AEP_IMS_URL", good).is_ok(), "{good}");
        }
        for bad in [
            "http://ims.example",
            "http://10.0.0.5:9090",
            "ftp://ims.example",
            "ims",
        ] {
            let error = secure_url("AEP_IMS_URL", bad).unwrap_err().to_string();
            assert!(error.contains("AEP_IMS_URL"), "{error}");
        }
    }

    #[test]
    fn a_header_setting_with_a_line_break_is_refused_at_start() {
        let settings = [
            ("AEP_CLIENT_ID", "id"),
            ("AEP_CLIENT_SECRET", "secret"),
            ("AEP_ORG_ID", "ORG@AdobeOrg\nx-evil: 1"),
            ("AEP_SCOPES", "openid"),
            ("AEP_SANDBOX_NAME", "prod"),
        ];
        let error = PlatformConfig::load(None, env(&settings))
            .unwrap_err()
            .to_string();
        assert!(error.contains("AEP_ORG_ID"), "{error}");
        assert!(error.contains("header"), "{error}");
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn every_missing_setting_is_named_at_once() {
        let error = PlatformConfig::load(None, env(&[("AEP_CLIENT_ID", "id")])).unwrap_err();
        assert_eq!(
            error,
            ConfigError::Missing(vec![
                "AEP_CLIENT_SECRET",
                "AEP_ORG_ID",
                "AEP_SCOPES",
                "AEP_SANDBOX_NAME"
            ])
        );
        assert!(
            error
                .to_string()
                .contains("AEP_CLIENT_SECRET, AEP_ORG_ID, AEP_SCOPES, AEP_SANDBOX_NAME")
        );
    }

    #[test]
    fn a_toml_file_gives_the_same_keys_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portal.toml");
        std::fs::write(
            &path,
            "client_id = \"from-file\"\nAEP_CLIENT_SECRET = \"s3cret\"\norg_id = \"ORG@AdobeOrg\"\nscopes = [\"openid\", \"AdobeID\"]\nsandbox_name = \"prod\"\napi_version = 1\n",
        )
        .unwrap();
        let config =
            PlatformConfig::load(Some(&path), env(&[("AEP_CLIENT_ID", "from-env")])).unwrap();
        assert_eq!(config.client_id, "from-env");
        assert_eq!(config.client_secret.expose_secret(), "s3cret");
        assert_eq!(config.scopes, "openid,AdobeID");
        assert_eq!(config.api_version, ApiVersion::V1);
        assert_eq!(config.platform_url, DEFAULT_PLATFORM_URL);
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
