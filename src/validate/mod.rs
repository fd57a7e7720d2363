//! Validation: the in-file uniqueness check (`unique`) and the parallel,
//! in-order pipeline (`pipeline`) that reads, maps and checks. The findings
//! they report are the vocabulary of [`crate::findings`].

pub mod pipeline;
pub mod unique;
