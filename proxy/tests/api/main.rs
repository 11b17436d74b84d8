//! The portal and the emulator in-process on loopback ports, and the real binary for the crash
//! test. The emulator's request log proves what reached the Platform.

mod activation;
mod allowlist;
mod cli_and_cache;
mod crash;
mod helpers;
mod notifications;
mod operations;
mod plans;
mod platform_shapes;
mod replicas;
mod sandbox_facts;
mod security;
mod tokens;
mod users;
