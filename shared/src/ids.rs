//! The ids of the Platform that the portal puts into a request path or query: one rule for all
//! of them, so that the allowlist, the run queries and the plan accept exactly the same ids.
//! Adobe's ids are UUIDs, `segment:<uuid>` or 24-hex strings; the rule admits those and nothing
//! that could change the meaning of a path or a query (`/`, `?`, `&`, `%`, `..`, spaces).

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

pub const MAX_ID_LENGTH: usize = 128;

/// Letters, digits, `-`, `_`, `.` and `:`, not dots alone, 1 to 128 characters.
pub fn is_platform_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID_LENGTH
        && !text.chars().all(|c| c == '.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// A paging token the Platform handed out (`continuationToken`), as it may be written back into
/// a query: URL-safe characters and percent escapes only, nothing that ends the value (`&`, `#`)
/// or changes the path.
pub fn is_query_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 4096
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '%' | '=' | '+')
        })
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} {text:?} is not a Platform id: use 1 to {MAX_ID_LENGTH} letters, digits, '-', '_', '.' or ':'"
)]
pub struct InvalidId {
    what: &'static str,
    text: String,
}

macro_rules! platform_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: impl Into<String>) -> Result<Self, InvalidId> {
                let text = text.into();
                if is_platform_id(&text) {
                    Ok(Self(text))
                } else {
                    Err(InvalidId { what: $what, text })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;

            fn try_from(text: String) -> Result<Self, InvalidId> {
                Self::parse(text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

platform_id!(
    /// A dataflow: one destination instance with its mapped segments.
    DataflowId,
    "dataflow id"
);
platform_id!(
    /// A segment definition or audience.
    SegmentId,
    "segment id"
);
platform_id!(
    /// A Flow Service run.
    RunId,
    "run id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adobes_id_shapes_are_accepted() {
        for id in [
            "d8ce03ea-d55c-4add-a56e-6e1c313e4250",
            "segment:d8ce03ea-d55c-4add-a56e-6e1c313e4250",
            "5e4b3e4e8ea7f718a84ff5a5",
            "sandbox_prod.v2",
        ] {
            assert!(is_platform_id(id), "{id}");
        }
    }

    #[test]
    fn anything_that_could_reshape_a_path_or_query_is_refused() {
        let long = "a".repeat(MAX_ID_LENGTH + 1);
        for id in [
            "", ".", "..", "a/b", "a?b", "a&b", "a%2F", "a b", "a#b", "a=b", "ä", &long,
        ] {
            assert!(!is_platform_id(id), "{id:?}");
        }
    }

    #[test]
    fn paging_tokens_may_not_end_the_query_value() {
        assert!(is_query_token("eyJvZmZzZXQiOjEwMH0%3D"));
        assert!(is_query_token("abc=="));
        for token in ["", "a&limit=1000", "a#b", "../flows", "a b", "a?b"] {
            assert!(!is_query_token(token), "{token:?}");
        }
    }

    #[test]
    fn ids_parse_from_json_and_say_what_is_wrong() {
        let id: SegmentId = serde_json::from_str("\"segment:abc-1\"").unwrap();
        assert_eq!(id, "segment:abc-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"segment:abc-1\"");
        let error = serde_json::from_str::<DataflowId>("\"../flows\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("dataflow id \"../flows\""), "{error}");
        assert!(error.contains("letters, digits"), "{error}");
    }
}
