//! The three paging styles of the Platform: Flow Service's `_links.next.href` with a
//! `continuationToken`, Segmentation's `page`/`_page` counters, export jobs' `link.next`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowServiceList<T> {
    pub items: Vec<T>,
    #[serde(rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<PageLinks>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Items of a shape the portal could not read, left out so that one of them never hides
    /// the others; the caller says so.
    #[serde(skip)]
    pub skipped: usize,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for FlowServiceList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            items: Vec<Box<RawValue>>,
            #[serde(rename = "_links", default)]
            links: Option<PageLinks>,
            #[serde(default)]
            count: Option<u64>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let (items, skipped) = each_item(raw.items);
        Ok(Self {
            items,
            links: raw.links,
            count: raw.count,
            skipped,
        })
    }
}

/// The items that read as `T`, and how many did not. Each item is kept as its JSON text and
/// read on its own (not through `serde_json::Value`, whose second set of deserializers cost the
/// browser bundle 15 KB).
fn each_item<T: DeserializeOwned>(raw: Vec<Box<RawValue>>) -> (Vec<T>, usize) {
    let total = raw.len();
    let items: Vec<T> = raw
        .iter()
        .filter_map(|item| serde_json::from_str(item.get()).ok())
        .collect();
    let skipped = total - items.len();
    (items, skipped)
}

/// For a list field: the items that read, the others left out (one odd audience or export job
/// must not hide the rest).
pub fn lenient_items<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(each_item(Vec::<Box<RawValue>>::deserialize(deserializer)?).0)
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
    fn one_unreadable_item_never_hides_the_others() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Item {
            id: String,
        }
        let list: FlowServiceList<Item> = serde_json::from_str(
            r#"{"items": [{"id": "a"}, {"name": "no id"}, 42, {"id": "b"}], "count": 4}"#,
        )
        .unwrap();
        let ids: Vec<&str> = list.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(list.skipped, 2);
        assert_eq!(list.count, Some(4));
    }

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
