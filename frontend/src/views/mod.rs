pub mod activate;
pub mod history;
pub mod history_detail;
pub mod loading;
pub mod marks;
pub mod not_found;
pub mod problem;
pub mod run_table;
