//! The Platform's payloads the portal touches, as Adobe documents them (`../shared/aep-specs/`).
//! Tolerant where the sources disagree, strict where they agree; unknown fields never break
//! parsing.

pub mod adhoc;
pub mod error;
pub mod export_job;
pub mod flow;
pub mod ims;
pub mod paging;
pub mod run;
pub mod segment;
pub mod verbatim;
