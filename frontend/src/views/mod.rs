pub mod activate;
pub mod history;
pub mod not_found;
