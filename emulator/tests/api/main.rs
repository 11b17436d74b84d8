//! The emulator over real HTTP on loopback, as a client written against Adobe's documentation
//! would use it.

mod adhocrun;
mod contract;
mod gateway;
mod helpers;
mod ims;
mod listing;
mod shapes;
