//! What every Platform handler shares: reading headers and query parameters, and the error
//! bodies of each Platform service as Adobe documents them. A leaf: it knows no handler.

use axum::{
    Extension, Json,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

/// The sandbox a request addressed (`x-sandbox-name`, `prod` when absent).
#[derive(Clone, Debug)]
pub struct SandboxName(pub String);

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

pub fn gateway_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error_code": code, "message": message})),
    )
        .into_response()
}

/// Flow Service's error body.
pub fn flow_service_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"errorMessage": message.into()}))).into_response()
}

/// Segmentation's RFC 7807-like error body.
pub fn segmentation_error(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: impl Into<String>,
) -> Response {
    (
        status,
        Json(json!({
            "type": format!("https://ns.adobe.com/aep/errors/{code}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail.into(),
        })),
    )
        .into_response()
}

pub type Query = axum::extract::Query<Vec<(String, String)>>;

pub fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn params<'a>(query: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    query
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A numeric query parameter within bounds, or the error saying what is allowed.
pub fn number_param(
    query: &[(String, String)],
    key: &str,
    default: u64,
    max: u64,
) -> Result<u64, String> {
    match param(query, key) {
        None => Ok(default),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(format!(
                "{key} must be a whole number from 0 to {max}, not {text:?}"
            )),
        },
    }
}

pub type SandboxExtension = Extension<SandboxName>;

pub fn json_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("wire types serialise")
}
