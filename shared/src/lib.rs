//! The contract between browser, proxy and emulator: the Platform's wire types, the portal's own
//! API types and the guardrail engine. No I/O and no async runtime, so that it compiles for
//! `wasm32-unknown-unknown` and the host alike and both sides apply the very same rules.

pub mod aep;
pub mod facts;
pub mod guardrails;
pub mod ids;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod plan;
pub mod portal;
pub mod sandbox;
pub mod sort;
pub mod time;
