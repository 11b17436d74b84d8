//! Flow Service and Segmentation `property=` filters, applied to an entity's JSON:
//! `state==enabled`, `id==a,b` (any of), `inheritedAttributes.properties.isDestinationFlow==true`,
//! `transformations[].params.segmentSelectors.selectors[].value.id==<id>` (`[]` looks into every
//! element), `metrics.durationSummary.startedAtUTC>1593134665781`. Several filters are ANDed.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    path: Vec<String>,
    op: Op,
    values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Self, String> {
        let operators = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            (">", Op::Gt),
            ("<", Op::Lt),
        ];
        let (at, token, op) = operators
            .iter()
            .filter_map(|(token, op)| text.find(token).map(|at| (at, *token, *op)))
            .min_by_key(|(at, token, _)| (*at, std::cmp::Reverse(token.len())))
            .ok_or_else(|| {
                format!("property filter {text:?} has no operator: write it as field==value")
            })?;
        let (path, value) = (&text[..at], &text[at + token.len()..]);
        if path.is_empty() || value.is_empty() {
            return Err(format!(
                "property filter {text:?} needs a field and a value: field==value"
            ));
        }
        Ok(Self {
            path: path.split('.').map(str::to_owned).collect(),
            op,
            values: value.split(',').map(str::to_owned).collect(),
        })
    }

    pub fn matches(&self, entity: &Value) -> bool {
        let mut found = Vec::new();
        collect(entity, &self.path, &mut found);
        match self.op {
            Op::Ne => !found
                .iter()
                .any(|v| self.values.iter().any(|w| equal(v, w))),
            Op::Eq => found
                .iter()
                .any(|v| self.values.iter().any(|w| equal(v, w))),
            op => found
                .iter()
                .any(|v| compare(v, &self.values[0]).is_some_and(|o| op.accepts(o))),
        }
    }
}

impl Op {
    fn accepts(self, order: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        matches!(
            (self, order),
            (Op::Gt, Greater) | (Op::Ge, Greater | Equal) | (Op::Lt, Less) | (Op::Le, Less | Equal)
        )
    }
}

fn collect<'a>(value: &'a Value, path: &[String], found: &mut Vec<&'a Value>) {
    let Some((head, rest)) = path.split_first() else {
        found.push(value);
        return;
    };
    let (key, every) = match head.strip_suffix("[]") {
        Some(key) => (key, true),
        None => (head.as_str(), false),
    };
    let Some(child) = value.get(key) else { return };
    match (every, child) {
        (true, Value::Array(items)) => items.iter().for_each(|item| collect(item, rest, found)),
        (true, _) => {}
        (false, child) => collect(child, rest, found),
    }
}

/// Status values differ in case across Adobe's own sources, so text compares case-insensitively.
fn equal(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(s) => s.eq_ignore_ascii_case(wanted),
        Value::Bool(b) => wanted.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        Value::Number(n) => wanted.parse::<f64>().ok() == n.as_f64(),
        _ => false,
    }
}

fn compare(value: &Value, wanted: &str) -> Option<std::cmp::Ordering> {
    let number = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    number.partial_cmp(&wanted.parse::<f64>().ok()?)
}

/// Applies every `property=` of a query; all must hold.
pub fn parse_all<'a>(properties: impl IntoIterator<Item = &'a str>) -> Result<Vec<Filter>, String> {
    properties.into_iter().map(Filter::parse).collect()
}

pub fn all_match(filters: &[Filter], entity: &Value) -> bool {
    filters.iter().all(|f| f.matches(entity))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flow() -> Value {
        json!({"id": "f1", "state": "enabled",
               "inheritedAttributes": {"properties": {"isDestinationFlow": true}},
               "transformations": [{"params": {"segmentSelectors": {"selectors": [
                   {"value": {"id": "s1"}}, {"value": {"id": "s2"}}]}}}],
               "metrics": {"statusSummary": {"status": "failed"}, "durationSummary": {"startedAtUTC": 1000}}})
    }

    fn holds(text: &str) -> bool {
        Filter::parse(text).unwrap().matches(&flow())
    }

    #[test]
    fn the_documented_filters_work() {
        assert!(holds(
            "inheritedAttributes.properties.isDestinationFlow==true"
        ));
        assert!(holds("state==enabled"));
        assert!(!holds("state==disabled"));
        assert!(holds("id==f0,f1"));
        assert!(holds(
            "transformations[].params.segmentSelectors.selectors[].value.id==s2"
        ));
        assert!(!holds(
            "transformations[].params.segmentSelectors.selectors[].value.id==s3"
        ));
        assert!(holds("metrics.statusSummary.status==Failed"));
        assert!(holds("metrics.durationSummary.startedAtUTC>999"));
        assert!(!holds("metrics.durationSummary.startedAtUTC>1000"));
        assert!(holds("metrics.durationSummary.startedAtUTC>=1000"));
        assert!(holds("state!=disabled"));
    }

    #[test]
    fn malformed_filters_say_how_to_write_them() {
        assert!(Filter::parse("state").unwrap_err().contains("field==value"));
        assert!(Filter::parse("==x").is_err());
    }

    #[test]
    fn several_filters_are_anded() {
        let filters = parse_all(["state==enabled", "id==f2"]).unwrap();
        assert!(!all_match(&filters, &flow()));
    }
}
