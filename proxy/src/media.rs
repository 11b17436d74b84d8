//! Whether a `Content-Type` is JSON: one rule for what the portal accepts and what it passes on.

/// `application/json`, or a vendor type like `application/vnd.adobe.xed+json`, any parameters.
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_vendor_json_types_only() {
        for json in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.adobe.xed+json;version=1",
        ] {
            assert!(is_json(json), "{json}");
        }
        for other in [
            "text/plain",
            "text/html",
            "application/x-www-form-urlencoded",
            "",
        ] {
            assert!(!is_json(other), "{other:?}");
        }
    }
}
