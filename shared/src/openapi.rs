//! Adobe's OpenAPI specs (vendored in `shared/aep-specs/`) as test data: the examples of an
//! operation and its response schemas, with `$ref`s resolved. For tests only: it panics with the
//! spec's name and path on anything it cannot find, which is the clearest failure a test can give.

use std::path::Path;

use serde_json::{Map, Value, json};
use serde_norway::Value as Yaml;

pub struct Spec {
    name: &'static str,
    root: Yaml,
}

impl Spec {
    pub fn load(name: &'static str) -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("aep-specs")
            .join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let root = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        Self { name, root }
    }

    pub fn resolve<'a>(&'a self, node: &'a Yaml) -> &'a Yaml {
        match node.get("$ref").and_then(Yaml::as_str) {
            Some(reference) => {
                let pointer = reference.strip_prefix("#/").expect("local reference");
                let target = pointer.split('/').fold(&self.root, |node, key| &node[key]);
                assert!(!target.is_null(), "{}: dangling {reference}", self.name);
                self.resolve(target)
            }
            None => node,
        }
    }

    pub fn operation(&self, path: &str, method: &str) -> &Yaml {
        let operation = &self.root["paths"][path][method];
        assert!(!operation.is_null(), "{}: no {method} {path}", self.name);
        operation
    }

    /// The JSON examples of a response (`status` as the spec keys it, number or string).
    pub fn response_examples(&self, path: &str, method: &str, status: u16) -> Vec<(String, Value)> {
        let responses = &self.operation(path, method)["responses"];
        let response = [Yaml::from(status), Yaml::from(status.to_string())]
            .iter()
            .map(|key| &responses[key])
            .find(|r| !r.is_null())
            .unwrap_or_else(|| panic!("{}: no {status} for {method} {path}", self.name));
        let content = &self.resolve(response)["content"]["application/json"];
        self.examples_of(content, &format!("{method} {path} {status}"))
    }

    /// A named example of `components.examples` that no path refers to.
    pub fn component_example(&self, name: &str) -> (String, Value) {
        let value = &self.root["components"]["examples"][name]["value"];
        assert!(!value.is_null(), "{}: no example {name}", self.name);
        (name.to_owned(), to_json(value))
    }

    pub fn request_examples(&self, path: &str, method: &str) -> Vec<(String, Value)> {
        let body = &self.operation(path, method)["requestBody"]["content"]["application/json"];
        self.examples_of(body, &format!("{method} {path} request"))
    }

    /// `example`, `examples.*.value` (possibly by `$ref`), or else one built from the schema's
    /// property examples.
    pub fn examples_of(&self, media: &Yaml, what: &str) -> Vec<(String, Value)> {
        if let Some(example) = media.get("example") {
            return vec![(what.to_owned(), to_json(example))];
        }
        if let Some(examples) = media.get("examples").and_then(Yaml::as_mapping) {
            return examples
                .iter()
                .map(|(name, example)| {
                    let value = &self.resolve(example)["value"];
                    assert!(
                        !value.is_null(),
                        "{}: example {name:?} has no value",
                        self.name
                    );
                    (
                        format!("{what} {}", name.as_str().unwrap_or("?")),
                        to_json(value),
                    )
                })
                .collect();
        }
        let schema = media
            .get("schema")
            .unwrap_or_else(|| panic!("{}: {what} has no schema", self.name));
        let built = self.example_from_schema(schema);
        if built.is_null() {
            return Vec::new();
        }
        vec![(format!("{what} (from schema)"), built)]
    }

    pub fn example_from_schema(&self, schema: &Yaml) -> Value {
        let schema = self.resolve(schema);
        if let Some(example) = schema.get("example") {
            return to_json(example);
        }
        if let Some(first) = ["allOf", "oneOf", "anyOf"]
            .iter()
            .find_map(|k| schema.get(*k).and_then(Yaml::as_sequence))
        {
            let mut merged = Map::new();
            for part in first {
                if let Value::Object(fields) = self.example_from_schema(part) {
                    merged.extend(fields);
                }
            }
            return Value::Object(merged);
        }
        if let Some(properties) = schema.get("properties").and_then(Yaml::as_mapping) {
            return Value::Object(
                properties
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap().to_owned(), self.example_from_schema(v)))
                    .filter(|(_, v)| !v.is_null())
                    .collect(),
            );
        }
        if let Some(items) = schema.get("items") {
            return Value::Array(vec![self.example_from_schema(items)]);
        }
        Value::Null
    }
}

/// YAML to JSON, with the non-string keys YAML allows (`403:`) written as strings.
pub fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => serde_json::to_value(n).unwrap(),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        other => serde_norway::to_string(other).unwrap().trim().to_owned(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(tagged) => to_json(&tagged.value),
    }
}

impl Spec {
    /// A JSON Schema document for a response body: the OpenAPI schema with the spec's
    /// `components` beside it, so that its `#/components/...` references resolve. OpenAPI's
    /// `nullable` becomes a `null` type, and `oneOf` becomes `anyOf`, because Adobe's alternatives
    /// overlap (a batch flow also satisfies the loose streaming flow schema).
    pub fn response_schema(&self, path: &str, method: &str, status: u16) -> Value {
        let responses = &self.operation(path, method)["responses"];
        let response = [Yaml::from(status), Yaml::from(status.to_string())]
            .iter()
            .map(|key| &responses[key])
            .find(|r| !r.is_null())
            .unwrap_or_else(|| panic!("{}: no {status} for {method} {path}", self.name));
        let schema = &self.resolve(response)["content"]["application/json"]["schema"];
        assert!(
            !schema.is_null(),
            "{}: {method} {path} {status} has no schema",
            self.name
        );
        json!({
            "allOf": [as_json_schema(to_json(schema))],
            "components": as_json_schema(to_json(&self.root["components"])),
        })
    }
}

fn as_json_schema(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let nullable = fields.get("nullable") == Some(&Value::Bool(true));
            let mut out: Map<String, Value> = fields
                .into_iter()
                .filter(|(k, _)| k != "nullable" && k != "example" && k != "examples")
                .map(|(k, v)| {
                    let key = if k == "oneOf" { "anyOf".to_owned() } else { k };
                    (key, as_json_schema(v))
                })
                .collect();
            if let (true, Some(Value::String(kind))) = (nullable, out.get("type").cloned()) {
                out.insert("type".into(), json!([kind, "null"]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(as_json_schema).collect()),
        other => other,
    }
}
