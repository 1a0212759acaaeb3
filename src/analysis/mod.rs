//! Analyses over the store: top-N, summary statistics, and with a policy: the evaluation
//! of every event, coverage, and what-if volume and retention. All pure functions of a
//! [`Store`](crate::store::Store).

pub mod actor;
pub mod coverage;
pub mod describe;
pub mod diff;
pub mod evaluate;
pub mod feed;
pub mod history;
pub mod money;
pub mod periods;
pub mod policy_ab;
pub mod stats;
pub mod timeline;
pub mod topn;
pub mod volume;
