//! Analyses over the store: top-N, summary statistics, and (with a policy) coverage and
//! what-if volume. All pure functions of a [`Store`](crate::store::Store).

pub mod stats;
pub mod topn;
