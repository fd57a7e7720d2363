//! Validation: the parallel, in-order pipeline (`pipeline`) that reads,
//! maps and checks every entity, the customers' in-file uniqueness check
//! (`unique`) and the orders' part (`orders`). The findings they report are
//! the vocabulary of [`crate::findings`].

pub mod orders;
pub mod pipeline;
pub mod unique;
