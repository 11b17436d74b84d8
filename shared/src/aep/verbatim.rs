//! A Platform entity read into the portal's type and kept as the Platform wrote it: where the
//! portal passes an entity on (a history record's runs), fields it does not model reach the
//! client too. The text is kept, not a `serde_json::Value` (whose deserializers would cost the
//! browser bundle).

use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

#[derive(Clone, Debug)]
pub struct Verbatim<T> {
    raw: Box<RawValue>,
    value: T,
}

impl<T> Verbatim<T> {
    pub fn raw(&self) -> &str {
        self.raw.get()
    }
}

impl<T: PartialEq> PartialEq for Verbatim<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.raw.get() == other.raw.get()
    }
}

impl<T> std::ops::Deref for Verbatim<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Serialize for Verbatim<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Verbatim<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let value = serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
        Ok(Self { raw, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aep::run::Run;

    #[test]
    fn fields_the_portal_does_not_model_are_written_back() {
        let text = r#"{"id":"r","flowId":"f","activities":[],"providerRefId":"fd33","brandNew":{"x":[1,2]}}"#;
        let run: Verbatim<Run> = serde_json::from_str(text).unwrap();
        assert_eq!(run.flow_id, "f");
        assert_eq!(serde_json::to_string(&run).unwrap(), text);
    }

    #[test]
    fn what_does_not_read_as_the_type_is_refused() {
        assert!(serde_json::from_str::<Verbatim<Run>>(r#"{"flowId": "no id"}"#).is_err());
    }
}
