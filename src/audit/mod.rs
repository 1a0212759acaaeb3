//! The audit domain: levels, stages, the attributes of a request that a policy looks at,
//! and the audit Policy itself (model, loading, validation, evaluation, lint).
//!
//! Everything here mirrors kube-apiserver (`k8s.io/apiserver/pkg/apis/audit` and
//! `pkg/audit/policy`): names and orderings are the wire names of `audit.k8s.io/v1`.

pub mod clo;
pub mod compare;
pub mod eval;
pub mod input;
pub mod lint;
pub mod needs;
pub mod policy;
pub mod validate;
pub mod yamlpos;

use serde::{Deserialize, Serialize};

/// An audit level. Ordered: `None < Metadata < Request < RequestResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    None,
    Metadata,
    Request,
    RequestResponse,
}

impl Level {
    /// All levels, in order.
    pub const ALL: [Level; 4] = [
        Level::None,
        Level::Metadata,
        Level::Request,
        Level::RequestResponse,
    ];

    /// The wire name (`"RequestResponse"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }

    /// Parses a wire name; exact and case-sensitive, as kube-apiserver's validation is.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "None" => Level::None,
            "Metadata" => Level::Metadata,
            "Request" => Level::Request,
            "RequestResponse" => Level::RequestResponse,
            _ => return None,
        })
    }
}

/// A stage of request handling at which an audit event is generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    RequestReceived,
    ResponseStarted,
    ResponseComplete,
    Panic,
}

impl Stage {
    /// All stages, in the order a request goes through them.
    pub const ALL: [Stage; 4] = [
        Stage::RequestReceived,
        Stage::ResponseStarted,
        Stage::ResponseComplete,
        Stage::Panic,
    ];

    /// The wire name (`"ResponseComplete"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::RequestReceived => "RequestReceived",
            Stage::ResponseStarted => "ResponseStarted",
            Stage::ResponseComplete => "ResponseComplete",
            Stage::Panic => "Panic",
        }
    }

    /// Parses a wire name; exact and case-sensitive.
    pub fn parse(s: &str) -> Option<Stage> {
        Some(match s {
            "RequestReceived" => Stage::RequestReceived,
            "ResponseStarted" => Stage::ResponseStarted,
            "ResponseComplete" => Stage::ResponseComplete,
            "Panic" => Stage::Panic,
            _ => return None,
        })
    }

    /// Bit of this stage in a [`StageSet`].
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of stages as a bit set (bit `Stage as u8`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StageSet(pub u8);

impl StageSet {
    pub fn contains(self, s: Stage) -> bool {
        self.0 & s.bit() != 0
    }
    pub fn insert(&mut self, s: Stage) {
        self.0 |= s.bit();
    }
    pub fn union(self, o: StageSet) -> StageSet {
        StageSet(self.0 | o.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Members in request order.
    pub fn iter(self) -> impl Iterator<Item = Stage> {
        Stage::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

/// What an audit policy looks at to decide a request's level: kube-apiserver's
/// `authorizer.Attributes` as far as `policy.Checker` reads them.
///
/// Invariants: `resource_request` is true exactly when the event has an `objectRef`
/// (kube-apiserver's `IsResourceRequest`); for a resource request `path` may be empty,
/// for a non-resource request the resource fields are empty. `path` never holds the query.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestAttrs<'a> {
    /// The authenticated user (`user.username`), never the impersonated one.
    pub user: &'a str,
    /// The authenticated user's groups (`user.groups`).
    pub groups: &'a [&'a str],
    pub verb: &'a str,
    pub resource_request: bool,
    /// API group; `""` is the core group.
    pub api_group: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    /// `""` for cluster-scoped requests.
    pub namespace: &'a str,
    pub name: &'a str,
    /// Request URI path without the query (`/healthz`).
    pub path: &'a str,
}
