//! The three paging styles of the Platform: Flow Service's `_links.next.href` with a
//! `continuationToken`, Segmentation's `page`/`_page` counters, export jobs' `link.next`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
}

/// Flow Service: `{"_links": {"next": {"href": "/flows?continuationToken=..."}}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLinks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
}

/// Flow Service's list envelope, for flows and runs alike.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowServiceList<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<PageLinks>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl<T> FlowServiceList<T> {
    /// The token for the next page, if there is one.
    pub fn continuation_token(&self) -> Option<&str> {
        self.links.as_ref()?.continuation_token()
    }
}

impl PageLinks {
    /// The token to send as `continuationToken` for the next page, if there is one.
    pub fn continuation_token(&self) -> Option<&str> {
        let href = &self.next.as_ref()?.href;
        query_value(href, "continuationToken")
    }
}

/// The value of `key` in the query of `href`, still percent-encoded.
pub fn query_value<'a>(href: &'a str, key: &str) -> Option<&'a str> {
    let query = href.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_continuation_token() {
        let links: PageLinks = serde_json::from_str(
            r#"{"next": {"href": "/flows?limit=2&continuationToken=abc%3D%3D"}}"#,
        )
        .unwrap();
        assert_eq!(links.continuation_token(), Some("abc%3D%3D"));
        assert_eq!(PageLinks::default().continuation_token(), None);
        let last: PageLinks = serde_json::from_str(r#"{"next": {"href": ""}}"#).unwrap();
        assert_eq!(last.continuation_token(), None);
    }
}
