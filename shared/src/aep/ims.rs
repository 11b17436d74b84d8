//! Adobe IMS OAuth server-to-server: `POST /ims/token/v3`.

use serde::{Deserialize, Serialize};

pub const TOKEN_PATH: &str = "/ims/token/v3";

/// The answer to a client-credentials grant. `expires_in` is in seconds (about 24 h).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

impl std::fmt::Debug for TokenResponse {
    // The token is a credential: it must not reach a log through a `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// The OAuth-style error IMS answers with on bad credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_parses_and_hides_the_token_from_debug() {
        let token: TokenResponse = serde_json::from_str(
            r#"{"access_token":"eyJhbGciOi","token_type":"bearer","expires_in":86399,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(token.expires_in, 86399);
        assert!(!format!("{token:?}").contains("eyJhbGciOi"));
    }
}
