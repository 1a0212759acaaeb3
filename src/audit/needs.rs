//! Requirements on an audit policy, decided for each kind of identity from the rules as
//! evaluated ([`CompiledPolicy::evaluate`] on witness requests), never from their text.
//!
//! A [`Need`] says which requests (resources, verbs, identity kinds) must be recorded at
//! which level, with which stages, and whether their bodies must stay out of the log.
//! [`check_need`] answers it per [`IdentityKind`]: for each kind, whether every request
//! of that kind the need is about is recorded as asked, and if not, a few failing
//! requests with the rule that decides them.
//!
//! **Witnesses.** A policy tells requests apart only by equality on the user, the groups,
//! the verb, the namespace, the API group, the resource, the subresource and the resource
//! name, and by prefixes of non-resource URLs (checker.go, see [`super::eval`]). So every
//! value a rule does not name behaves like every other: one fresh value
//! ([`FRESH`]) stands for all of them, and the values the rules name stand for
//! themselves. The witnesses of a kind are its generic identity, every user named in a
//! rule (of that kind by [`identity_kind`]), and for every group named in a rule an
//! identity of each kind that can plausibly be in it; identities seen in the log are added
//! when they differ in what the rules see. Groups are added one at a time, which is
//! enough: a rule's `userGroups` matches when *any* group of the user is listed, so the
//! first rule matching a user in groups {a, b} is the earlier of the first rules matching
//! {a} and {b}, and its decision is one of theirs.
//!
//! **Bodies.** [`body_leak`] is the table of (resource, verb, level) that writes a secret
//! into the log, read from kube-apiserver (sources at each entry). Lint's `sensitive-body`
//! warning, the checklist and [`Need::no_bodies`] all use it.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use super::eval::{CompiledPolicy, Decision};
use super::policy::{LoadedPolicy, Policy};
use super::{Level, RequestAttrs, Stage};

/// The kinds of identity Kubernetes names (see [`identity_kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum IdentityKind {
    Human,
    ServiceAccount,
    Node,
    System,
    Anonymous,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 5] = [
        IdentityKind::Human,
        IdentityKind::ServiceAccount,
        IdentityKind::Node,
        IdentityKind::System,
        IdentityKind::Anonymous,
    ];

    /// For people: `"service accounts"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Human => "humans",
            IdentityKind::ServiceAccount => "service accounts",
            IdentityKind::Node => "nodes",
            IdentityKind::System => "system components",
            IdentityKind::Anonymous => "anonymous",
        }
    }

    /// For machines (the page's `data-failing-kinds`): `"service-account"`.
    pub fn slug(self) -> &'static str {
        match self {
            IdentityKind::Human => "human",
            IdentityKind::ServiceAccount => "service-account",
            IdentityKind::Node => "node",
            IdentityKind::System => "system",
            IdentityKind::Anonymous => "anonymous",
        }
    }
}

/// Classify a user as Kubernetes names them, from the apiserver's constants:
/// - `system:anonymous` or group `system:unauthenticated` → Anonymous
///   (`user.Anonymous`, `user.AllUnauthenticated` in apiserver pkg/authentication/user/user.go;
///   the anonymous authenticator, pkg/authentication/request/anonymous/anonymous.go, gives
///   exactly that user and group);
/// - `system:serviceaccount:NS:NAME` or group `system:serviceaccounts` → ServiceAccount
///   (`ServiceAccountUsernamePrefix`, `AllServiceAccountsGroup` in apiserver
///   pkg/authentication/serviceaccount/util.go);
/// - `system:node:NAME` or group `system:nodes` → Node (`nodeUserNamePrefix` in kubernetes
///   pkg/auth/nodeidentifier/default.go, `user.NodesGroup`);
/// - any other `system:` user (`system:kube-controller-manager`, `system:kube-scheduler`,
///   `system:kube-proxy`, the loopback `system:apiserver`, …: "core kubernetes process
///   identities" in user.go) → System;
/// - everyone else → Human.
pub fn identity_kind(user: &str, groups: &[&str]) -> IdentityKind {
    let has = |g: &str| groups.contains(&g);
    if user == "system:anonymous" || has("system:unauthenticated") {
        IdentityKind::Anonymous
    } else if user.starts_with("system:serviceaccount:") || has("system:serviceaccounts") {
        IdentityKind::ServiceAccount
    } else if user.starts_with("system:node:") || has("system:nodes") {
        IdentityKind::Node
    } else if user.starts_with("system:") {
        IdentityKind::System
    } else {
        IdentityKind::Human
    }
}

/// One requirement on a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Need {
    pub id: String,
    pub title: String,
    /// `RESOURCE[.GROUP][/SUBRESOURCE]` as the filter's `resource:` term writes it
    /// (`"pods/exec"`, `"secrets"`, `"clusterrolebindings.rbac.authorization.k8s.io"`; no
    /// group is the core group), `"*"` for every resource, or a non-resource URL starting
    /// with `/` (a trailing `*` is a prefix; `"/*"` every URL).
    pub resources: Vec<String>,
    /// Verbs the requirement is about (empty = all the usual verbs for the resources).
    /// Verbs a subresource does not serve are skipped (`pods/exec`: create, get).
    pub verbs: Vec<String>,
    /// The level every such request must be recorded at, at least. `Request` means "with
    /// the request body", so for verbs whose request has no object (get, list, watch:
    /// none is logged, handlers/get.go; delete, deletecollection: DeleteOptions at most,
    /// handlers/delete.go) Metadata is enough.
    pub min_level: Level,
    /// Bodies that must never be recorded: a decision that writes a secret into the log
    /// for that verb ([`body_leak`]) fails.
    pub no_bodies: bool,
    /// Stages that must not be omitted (ResponseStarted for exec/attach/portforward).
    pub stages: Vec<Stage>,
    /// The identity kinds it is about (empty = all five).
    pub kinds: Vec<IdentityKind>,
    /// Resources `"*"` leaves out (same spelling as `resources`): "every write but secrets".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

impl Need {
    /// The kinds this need is about, in [`IdentityKind::ALL`] order.
    pub fn kinds(&self) -> Vec<IdentityKind> {
        IdentityKind::ALL
            .into_iter()
            .filter(|k| self.kinds.is_empty() || self.kinds.contains(k))
            .collect()
    }
}

/// One witness request that does not get what the need asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub user: String,
    pub groups: Vec<String>,
    pub verb: String,
    /// The need's form: `pods/exec`, `secrets`, `roles.rbac.authorization.k8s.io`, or the URL.
    pub resource: String,
    /// `""`: cluster scope (or all namespaces, for a list or watch).
    pub namespace: String,
    pub name: String,
    pub level: Level,
    pub omitted: Vec<Stage>,
    /// The deciding rule (0-based); `None` when no rule matches.
    pub rule: Option<usize>,
    /// Why, in a sentence: "`get secrets` in kube-system by … is not recorded — rule 3 (level None)".
    pub why: String,
    /// The parts of `why`: the request ("`get secrets` in kube-system"), what happens to it
    /// ("is not recorded") and what decides it ("rule 3 (level None)").
    #[serde(default)]
    pub request: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub decider: String,
}

/// The answer for one kind of identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindVerdict {
    pub kind: IdentityKind,
    pub ok: bool,
    /// A few failures, at most [`FAILURES_SHOWN`], chosen to show each deciding rule, then
    /// each resource (or URL), then each verb, in witness order (generic identities first).
    pub failures: Vec<Failure>,
    /// All failing witness requests of this kind.
    pub failed: usize,
    /// Witness requests checked for this kind.
    pub checked: usize,
    /// Rules deciding the failures (`None` in `no_rule`), sorted.
    pub rules: Vec<usize>,
    /// Some failures match no rule (the default, level None).
    pub no_rule: bool,
    /// False when the evaluation budget ([`EVAL_BUDGET`]) ran out before every witness of
    /// this kind was probed (policies with thousands of named users): `ok` is then about the
    /// witnesses checked.
    #[serde(default = "yes")]
    pub complete: bool,
}

fn yes() -> bool {
    true
}

/// Rule tests one need may cost (witness requests × rules), shared by its kinds: 5 M, a few
/// milliseconds natively; per kind between 100 and 25 000 witness requests (twice that
/// for its generic identity). A 17-rule policy gets 25 000 per kind (GCE's needs take at
/// most 1 729), a 10 000-rule one 100.
pub const EVAL_BUDGET: usize = 5_000_000;
const MIN_EVALS: usize = 100;
/// Witness requests per kind, at most (twice that for its generic identity).
const MAX_EVALS: usize = 25_000;

/// Failures kept per kind.
pub const FAILURES_SHOWN: usize = 8;
/// Distinct failures kept to choose from.
const CANDIDATES: usize = 512;

type PickKey = dyn Fn(&Failure) -> (Option<usize>, String);

/// [`FAILURES_SHOWN`] failures: one per rule first, then one per (rule, resource), then the rest.
fn pick(all: Vec<Failure>) -> Vec<Failure> {
    let mut taken = vec![false; all.len()];
    let mut out: Vec<usize> = Vec::new();
    let rounds: [&PickKey; 3] = [
        &|f| (f.rule, String::new()),
        &|f| (f.rule, f.resource.clone()),
        &|f| (f.rule, format!("{} {}", f.resource, f.verb)),
    ];
    for key in rounds {
        let mut seen: HashSet<(Option<usize>, String)> =
            out.iter().map(|&i| key(&all[i])).collect();
        for (i, f) in all.iter().enumerate() {
            if out.len() >= FAILURES_SHOWN {
                break;
            }
            if !taken[i] && seen.insert(key(f)) {
                taken[i] = true;
                out.push(i);
            }
        }
    }
    out.sort_unstable();
    let mut all: Vec<Option<Failure>> = all.into_iter().map(Some).collect();
    out.into_iter().filter_map(|i| all[i].take()).collect()
}

/// The answer for one need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedVerdict {
    pub need: Need,
    /// One per kind the need is about, in [`IdentityKind::ALL`] order.
    pub kinds: Vec<KindVerdict>,
    pub ok: bool,
    /// When failing: the rules deciding a failure; when passing: the rules deciding the
    /// witness requests (those that record them). Sorted.
    pub rules: Vec<usize>,
}

impl NeedVerdict {
    /// Kinds that fail.
    pub fn failing(&self) -> Vec<IdentityKind> {
        self.kinds
            .iter()
            .filter(|k| !k.ok)
            .map(|k| k.kind)
            .collect()
    }
}

/// The fresh value: no rule names it, so it stands for every value no rule names.
pub const FRESH: &str = "audit-lens-probe";
const FRESH_GROUP: &str = "audit-lens-probe.example";

/// Verbs of resource requests when a need names none.
pub const USUAL_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Verbs of non-resource requests: the request's method in lower case (apiserver
/// pkg/endpoints/request/requestinfo.go, `NewRequestInfo`).
const URL_VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "head"];

/// Subresources that serve only some verbs.
fn served(resource: &str, sub: &str) -> Option<&'static [&'static str]> {
    Some(match (resource, sub) {
        // Connect subresources: GET (websocket) and POST (SPDY); the verb is the method's.
        ("pods", "exec" | "attach" | "portforward") => &["create", "get"],
        ("pods", "ephemeralcontainers") => &["get", "update", "patch"],
        // TokenRequest and TokenReview are create-only (NamedCreater, Creater).
        ("serviceaccounts", "token") | ("tokenreviews", "") => &["create"],
        _ => return None,
    })
}

/// Long-running requests get a ResponseStarted event: kube-apiserver's
/// `BasicLongRunningRequestCheck(watch, proxy; attach, exec, proxy, log, portforward)`
/// (cmd/kube-apiserver/app/server.go), read by filters/audit.go.
fn long_running(verb: &str, sub: &str) -> bool {
    matches!(verb, "watch" | "proxy")
        || matches!(sub, "attach" | "exec" | "proxy" | "log" | "portforward")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scope {
    Namespaced,
    Cluster,
    Unknown,
}

/// Resources that are cluster-scoped (kubectl api-resources, NAMESPACED false).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "namespaces"),
    ("", "nodes"),
    ("", "persistentvolumes"),
    ("", "componentstatuses"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    ("authentication.k8s.io", "tokenreviews"),
    ("authentication.k8s.io", "selfsubjectreviews"),
    ("authorization.k8s.io", "subjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
    ("certificates.k8s.io", "certificatesigningrequests"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("apiregistration.k8s.io", "apiservices"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "csidrivers"),
    ("storage.k8s.io", "csinodes"),
    ("storage.k8s.io", "volumeattachments"),
    ("scheduling.k8s.io", "priorityclasses"),
    ("node.k8s.io", "runtimeclasses"),
    ("networking.k8s.io", "ingressclasses"),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
    ),
];

/// Namespaced resources the needs name.
const NAMESPACED: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "secrets"),
    ("", "configmaps"),
    ("", "serviceaccounts"),
    ("", "services"),
    ("", "endpoints"),
    ("", "events"),
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("coordination.k8s.io", "leases"),
];

fn scope(group: &str, resource: &str) -> Scope {
    if CLUSTER_SCOPED.contains(&(group, resource)) {
        Scope::Cluster
    } else if NAMESPACED.contains(&(group, resource)) {
        Scope::Namespaced
    } else {
        Scope::Unknown
    }
}

/// Does recording this request at `level` write a secret into the log? The reason when so.
///
/// Read from kube-apiserver: the request object is logged at Request and above by the
/// create, update and patch handlers only (apiserver handlers/create.go, update.go,
/// patch.go `LogRequestObject`/`LogRequestPatch`; delete.go logs the DeleteOptions a
/// delete or deletecollection sends, nothing else; get.go logs none); the response object
/// only at RequestResponse (`LogResponseObject`, audit/request.go, called by
/// `WriteObjectNegotiated`), never for a watch (handlers/watch.go streams its events
/// without it). What each resource answers:
/// - secrets: the object, data included, for create/update/patch and get/list; a delete
///   answers a Status (the secrets store, kubernetes pkg/registry/core/secret/storage, does
///   not set `ReturnDeletedObject`; generic registry store.go `finalizeDelete`); a
///   deletecollection answers the list of deleted secrets (store.go `DeleteCollection`).
/// - serviceaccounts/token: the request is a TokenRequest spec (audiences, expiration,
///   bound object; no token); the response's `status.token` is the issued token
///   (kubernetes pkg/registry/core/serviceaccount/storage/token.go).
/// - tokenreviews: the request's `spec.token` is the token under review, and the response
///   is the same object with its status filled in (pkg/registry/authentication/tokenreview).
///
/// ConfigMaps are not in the table: Kubernetes keeps secrets in Secrets ("Secret holds
/// secret data", ConfigMap "holds configuration data", api core/v1 types.go), and a
/// ConfigMap's body is what a credential-in-ConfigMap detection reads (Falco's
/// "Create/Modify Configmap With Private Credentials" reads `ka.req.configmap.obj`).
pub fn body_leak(
    group: &str,
    resource: &str,
    sub: &str,
    verb: &str,
    level: Level,
) -> Option<&'static str> {
    let req = level >= Level::Request;
    let resp = level >= Level::RequestResponse;
    match (group, resource, sub) {
        ("", "secrets", "") => match verb {
            "create" | "update" | "patch" if req => {
                Some("the request body is the Secret, its data included")
            }
            "get" | "list" if resp => Some("the response is the Secret, its data included"),
            "deletecollection" if resp => {
                Some("the response lists the deleted Secrets, their data included")
            }
            _ => None,
        },
        ("", "serviceaccounts", "token") => match verb {
            "create" if resp => Some("the response's status.token is the issued token"),
            _ => None,
        },
        ("authentication.k8s.io", "tokenreviews", "") => match verb {
            "create" if req => Some("the request's spec.token is the token under review"),
            _ => None,
        },
        _ => None,
    }
}

/// The resources [`body_leak`] knows: (group, resource, subresource, label, verbs).
pub const LEAKY: &[(&str, &str, &str, &str, &[&str])] = &[
    ("", "secrets", "", "secrets", USUAL_VERBS),
    (
        "",
        "serviceaccounts",
        "token",
        "serviceaccounts/token",
        &["create"],
    ),
    (
        "authentication.k8s.io",
        "tokenreviews",
        "",
        "tokenreviews",
        &["create"],
    ),
];

/// The built-in requirements of the security checklist.
pub fn security_needs() -> Vec<Need> {
    let n = |id: &str,
             title: &str,
             resources: &[&str],
             verbs: &[&str],
             min_level: Level,
             no_bodies: bool,
             stages: &[Stage],
             kinds: &[IdentityKind]| Need {
        id: id.into(),
        title: title.into(),
        resources: resources.iter().map(|s| s.to_string()).collect(),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        min_level,
        no_bodies,
        stages: stages.to_vec(),
        kinds: kinds.to_vec(),
        except: Vec::new(),
    };
    vec![
        // Falco's exec/attach rules read the ResponseStarted event of these sessions.
        n(
            "exec-attach-visible",
            "pods/exec, attach, portforward recorded with ResponseStarted",
            &["pods/exec", "pods/attach", "pods/portforward"],
            &["create", "get"],
            Level::Metadata,
            false,
            &[Stage::ResponseStarted],
            &[],
        ),
        n(
            "secret-access",
            "secret access recorded at Metadata, never with bodies",
            &["secrets"],
            &[],
            Level::Metadata,
            true,
            &[],
            &[],
        ),
        // create carries the whole pod spec (privileged, hostPath, host namespaces); update
        // and patch can still change images (ValidatePodUpdate lets spec.containers[*].image
        // change), and `kubectl debug` adds (possibly privileged) ephemeral containers with
        // a patch of pods/ephemeralcontainers: all need the request body.
        n(
            "pod-writes-with-body",
            "pod create/update recorded with the request body",
            &["pods", "pods/ephemeralcontainers"],
            &["create", "update", "patch"],
            Level::Request,
            false,
            &[],
            &[],
        ),
        // The rules and subjects of a role or binding are only in its body (deletes need
        // Metadata only: see Need::min_level).
        n(
            "rbac-changes",
            "RBAC changes recorded with bodies",
            &[
                "roles.rbac.authorization.k8s.io",
                "rolebindings.rbac.authorization.k8s.io",
                "clusterroles.rbac.authorization.k8s.io",
                "clusterrolebindings.rbac.authorization.k8s.io",
            ],
            &["create", "update", "patch", "delete"],
            Level::Request,
            false,
            &[],
            &[],
        ),
        n(
            "anonymous-recorded",
            "anonymous requests recorded",
            &["*", "/*"],
            &[],
            Level::Metadata,
            false,
            &[],
            &[IdentityKind::Anonymous],
        ),
        // Request, not Metadata: where a webhook sends what it intercepts
        // (clientConfig.url or .service), which requests (rules) and whether it may fail
        // open (failurePolicy) are only in the body — a change is judged on them.
        n(
            "webhook-changes",
            "webhook configuration changes recorded with bodies",
            &[
                "validatingwebhookconfigurations.admissionregistration.k8s.io",
                "mutatingwebhookconfigurations.admissionregistration.k8s.io",
            ],
            &["create", "update", "patch", "delete"],
            Level::Request,
            false,
            &[],
            &[],
        ),
        n(
            "token-bodies",
            "token requests and reviews recorded, tokens kept out of the log",
            &[
                "serviceaccounts/token",
                "tokenreviews.authentication.k8s.io",
            ],
            &["create"],
            Level::Metadata,
            true,
            &[],
            &[],
        ),
    ]
}

/// One identity to probe with.
#[derive(Clone, Debug)]
struct Ident {
    user: String,
    groups: Vec<String>,
    kind: IdentityKind,
}

/// The witness values of one policy (see the module documentation).
pub struct Witnesses {
    idents: Vec<Ident>,
    namespaces: Vec<String>,
    names: Vec<String>,
    /// Per API group (named, plus the fresh one): resources and subresources named for it.
    groups: Vec<(String, Vec<String>, Vec<String>)>,
    urls: Vec<String>,
}

fn sa_user(ns: &str, name: &str) -> String {
    format!("system:serviceaccount:{ns}:{name}")
}

/// The groups an identity of this name has from its authenticator.
fn base_groups(user: &str) -> Vec<String> {
    let v: Vec<&str> = match identity_kind(user, &[]) {
        IdentityKind::Anonymous => vec!["system:unauthenticated"],
        IdentityKind::ServiceAccount => {
            // serviceaccount/util.go MakeGroupNames, plus system:authenticated
            // (group/authenticated_group_adder.go).
            let ns = user
                .strip_prefix("system:serviceaccount:")
                .and_then(|r| r.split(':').next())
                .unwrap_or(FRESH);
            return vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".into(),
            ];
        }
        IdentityKind::Node => vec!["system:nodes", "system:authenticated"],
        // The loopback client (apiserver pkg/server/config.go AuthorizeClientBearerToken).
        IdentityKind::System if user == "system:apiserver" => {
            vec!["system:authenticated", "system:masters"]
        }
        _ => vec!["system:authenticated"],
    };
    v.into_iter().map(String::from).collect()
}

impl Witnesses {
    /// The witnesses of `p`, with the identities `seen` in a log.
    pub fn of(p: &Policy, group_wildcard: bool, seen: &[(String, Vec<String>)]) -> Witnesses {
        let mut users = BTreeSet::new();
        let mut groups = BTreeSet::new();
        let mut namespaces = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut urls = BTreeSet::new();
        // group -> (resources, subresources)
        let mut per_group: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
        let mut wild: (BTreeSet<String>, BTreeSet<String>) = Default::default();
        for r in &p.rules {
            users.extend(r.users.iter().cloned());
            groups.extend(r.user_groups.iter().cloned());
            namespaces.extend(r.namespaces.iter().filter(|n| !n.is_empty()).cloned());
            urls.extend(r.non_resource_urls.iter().cloned());
            for g in &r.resources {
                names.extend(g.resource_names.iter().cloned());
                let slot = if group_wildcard && g.group == "*" {
                    &mut wild
                } else {
                    per_group.entry(g.group.clone()).or_default()
                };
                for pat in &g.resources {
                    let (res, sub) = pat.split_once('/').unwrap_or((pat, ""));
                    if res != "*" {
                        slot.0.insert(res.to_string());
                    }
                    if !sub.is_empty() && sub != "*" {
                        slot.1.insert(sub.to_string());
                    }
                }
            }
        }
        per_group.entry(String::new()).or_default();
        per_group.entry(FRESH_GROUP.into()).or_default();
        let groups_out = per_group
            .into_iter()
            .map(|(g, (mut rs, mut subs))| {
                rs.extend(wild.0.iter().cloned());
                subs.extend(wild.1.iter().cloned());
                let mut rs: Vec<String> = rs.into_iter().collect();
                rs.push(FRESH.into());
                let mut subs: Vec<String> = subs.into_iter().collect();
                subs.insert(0, String::new());
                subs.push(FRESH.into());
                (g, rs, subs)
            })
            .collect();

        let mut w = Witnesses {
            idents: Vec::new(),
            namespaces: std::iter::once(FRESH.to_string())
                .chain(namespaces)
                .collect(),
            names: std::iter::once(FRESH.to_string()).chain(names).collect(),
            groups: groups_out,
            urls: urls.into_iter().collect(),
        };
        let mut keys: HashSet<(IdentityKind, String, Vec<String>)> = HashSet::new();
        let mut push = |w: &mut Witnesses, user: String, gs: Vec<String>| {
            let refs: Vec<&str> = gs.iter().map(|s| s.as_str()).collect();
            let kind = identity_kind(&user, &refs);
            let pu = if users.contains(&user) {
                user.clone()
            } else {
                String::new()
            };
            let mut pg: Vec<String> = gs.iter().filter(|g| groups.contains(*g)).cloned().collect();
            pg.sort();
            pg.dedup();
            if keys.insert((kind, pu, pg)) {
                w.idents.push(Ident {
                    user,
                    groups: gs,
                    kind,
                });
            }
        };
        let generic = [
            "audit-lens:probe-human".to_string(),
            sa_user(FRESH, "probe"),
            format!("system:node:{FRESH}"),
            "system:kube-controller-manager".into(),
            "system:kube-scheduler".into(),
            "system:apiserver".into(),
            "system:anonymous".into(),
        ];
        for u in generic.iter().chain(users.iter()) {
            push(&mut w, u.clone(), base_groups(u));
        }
        for g in &groups {
            if let Some(ns) = g.strip_prefix("system:serviceaccounts:") {
                let u = sa_user(ns, FRESH);
                push(&mut w, u.clone(), base_groups(&u));
            } else if matches!(
                g.as_str(),
                "system:serviceaccounts"
                    | "system:authenticated"
                    | "system:nodes"
                    | "system:unauthenticated"
            ) {
                // Every identity that can have it has it already.
            } else {
                // Other groups: people's (OIDC, certificates' O) and components' (system:masters).
                let base: Vec<Ident> = w
                    .idents
                    .iter()
                    .filter(|i| matches!(i.kind, IdentityKind::Human | IdentityKind::System))
                    .filter(|i| i.groups == base_groups(&i.user))
                    .cloned()
                    .collect();
                for i in base {
                    let mut gs = i.groups.clone();
                    if !gs.contains(g) {
                        gs.push(g.clone());
                        push(&mut w, i.user.clone(), gs);
                    }
                }
            }
        }
        for (u, gs) in seen {
            push(&mut w, u.clone(), gs.clone());
        }
        w
    }

    /// Identities probed for `kind`.
    pub fn identities(&self, kind: IdentityKind) -> impl Iterator<Item = (&str, &[String])> {
        self.idents
            .iter()
            .filter(move |i| i.kind == kind)
            .map(|i| (i.user.as_str(), i.groups.as_slice()))
    }
}

/// A request target: a resource (group, resource, subresource, as the need writes it) or a URL.
#[derive(Clone, Debug)]
enum Target {
    Res {
        group: String,
        resource: String,
        sub: String,
        text: String,
    },
    Url(String),
}

/// `pods/exec` → ("", pods, exec); `roles.rbac.authorization.k8s.io` → (rbac…, roles, "").
pub fn parse_resource(s: &str) -> (String, String, String) {
    let (r, sub) = s.split_once('/').unwrap_or((s, ""));
    let (r, g) = r.split_once('.').unwrap_or((r, ""));
    (g.to_string(), r.to_string(), sub.to_string())
}

/// `RESOURCE[.GROUP][/SUB]`, the filter's `resource:` spelling.
pub fn res_text(group: &str, resource: &str, sub: &str) -> String {
    let mut t = resource.to_string();
    if !group.is_empty() {
        t.push('.');
        t.push_str(group);
    }
    if !sub.is_empty() {
        t.push('/');
        t.push_str(sub);
    }
    t
}

fn targets(need: &Need, w: &Witnesses) -> Vec<Target> {
    let mut out = Vec::new();
    for r in &need.resources {
        if let Some(prefix) = r.strip_suffix('*').filter(|p| p.starts_with('/')) {
            // A URL prefix: the prefix itself, a fresh path under it, and every named URL
            // under it (named prefixes as their root and a fresh path under that).
            let mut urls: BTreeSet<String> = BTreeSet::new();
            urls.insert(prefix.to_string());
            urls.insert(format!("{prefix}{FRESH}"));
            for u in &w.urls {
                let root = u.trim_end_matches('*');
                if root.starts_with(prefix) && root != "*" {
                    urls.insert(root.to_string());
                    if u.ends_with('*') {
                        urls.insert(format!("{root}{FRESH}"));
                    }
                }
            }
            out.extend(urls.into_iter().map(Target::Url));
        } else if r.starts_with('/') {
            out.push(Target::Url(r.clone()));
        } else if r == "*" {
            for (g, rs, subs) in &w.groups {
                for res in rs {
                    for sub in subs {
                        if excepted(need, g, res, sub) {
                            continue;
                        }
                        out.push(Target::Res {
                            group: g.clone(),
                            resource: res.clone(),
                            sub: sub.clone(),
                            text: res_text(g, res, sub),
                        });
                    }
                }
            }
        } else {
            let (group, resource, sub) = parse_resource(r);
            out.push(Target::Res {
                group,
                resource,
                sub,
                text: r.clone(),
            });
        }
    }
    out
}

/// True when `need.except` leaves this resource out of its `"*"`.
fn excepted(need: &Need, group: &str, resource: &str, sub: &str) -> bool {
    need.except.iter().any(|e| {
        let (g, r, s) = parse_resource(e);
        g == group && r == resource && (s == sub || s == "*")
    })
}

/// Whether a request is one `need` is about: its kind of identity, its verb, and its
/// resource (`resource_request`: group, resource, subresource) or URL `path`. The test a
/// log's request gets; [`check_with`] asks the same of witnesses.
#[allow(clippy::too_many_arguments)]
pub fn covers(
    need: &Need,
    kind: IdentityKind,
    resource_request: bool,
    group: &str,
    resource: &str,
    sub: &str,
    path: &str,
    verb: &str,
) -> bool {
    if !need.kinds.is_empty() && !need.kinds.contains(&kind) {
        return false;
    }
    if !need.verbs.is_empty() && !need.verbs.iter().any(|v| v == verb) {
        return false;
    }
    need.resources.iter().any(|r| {
        if let Some(prefix) = r.strip_suffix('*').filter(|p| p.starts_with('/')) {
            !resource_request && path.starts_with(prefix)
        } else if r.starts_with('/') {
            !resource_request && path == r
        } else if r == "*" {
            resource_request && !excepted(need, group, resource, sub)
        } else {
            let (g, res, s) = parse_resource(r);
            resource_request && g == group && res == resource && s == sub
        }
    })
}

/// What decision `d` does wrong with one request `need` [`covers`], for that need (`None`
/// when it records the request as the need asks) — the judgement [`check_with`] makes.
pub fn judge_request(
    need: &Need,
    resource_request: bool,
    group: &str,
    resource: &str,
    sub: &str,
    verb: &str,
    d: &Decision,
) -> Option<String> {
    let t = if resource_request {
        Target::Res {
            group: group.to_string(),
            resource: resource.to_string(),
            sub: sub.to_string(),
            text: res_text(group, resource, sub),
        }
    } else {
        Target::Url(String::new())
    };
    judge(need, &t, verb, d)
}

/// Verbs of a need for a target.
fn verbs_for<'a>(need: &'a Need, t: &Target) -> Vec<&'a str> {
    let base: Vec<&str> = if need.verbs.is_empty() {
        match t {
            Target::Url(_) => URL_VERBS.to_vec(),
            Target::Res { .. } => USUAL_VERBS.to_vec(),
        }
    } else {
        need.verbs.iter().map(|s| s.as_str()).collect()
    };
    match t {
        Target::Res { resource, sub, .. } => match served(resource, sub) {
            Some(ok) => base.into_iter().filter(|v| ok.contains(v)).collect(),
            None => base,
        },
        Target::Url(_) => base,
    }
}

/// What a decision does with a request, for a need: `None` when it is what the need asks.
fn judge(need: &Need, t: &Target, verb: &str, d: &Decision) -> Option<String> {
    let (group, resource, sub) = match t {
        Target::Res {
            group,
            resource,
            sub,
            ..
        } => (group.as_str(), resource.as_str(), sub.as_str()),
        Target::Url(_) => ("", "", ""),
    };
    let no_object = matches!(
        verb,
        "get" | "list" | "watch" | "delete" | "deletecollection"
    ) || matches!(t, Target::Url(_));
    let min = if need.min_level >= Level::Request && no_object {
        Level::Metadata
    } else {
        need.min_level
    };
    // Events are written at RequestReceived, ResponseComplete, and ResponseStarted for
    // long-running requests (filters/audit.go); the request body is only on events after
    // the handler ran, so not on RequestReceived.
    let o = d.omit_stages;
    let lr = long_running(verb, sub);
    let any_event = !o.contains(Stage::RequestReceived)
        || !o.contains(Stage::ResponseComplete)
        || (lr && !o.contains(Stage::ResponseStarted));
    if min > Level::None {
        if d.level == Level::None || !any_event {
            return Some(if d.level == Level::None {
                "is not recorded".into()
            } else {
                "is not recorded (every stage it has is omitted)".into()
            });
        }
        if d.level < min {
            return Some(format!(
                "is recorded at {}, below {}{}",
                d.level.as_str(),
                min.as_str(),
                if min >= Level::Request {
                    " (no request body)"
                } else {
                    ""
                }
            ));
        }
        if min >= Level::Request
            && o.contains(Stage::ResponseComplete)
            && (!lr || o.contains(Stage::ResponseStarted))
        {
            return Some("is recorded only at RequestReceived, which has no body".into());
        }
    }
    for s in &need.stages {
        if d.level > Level::None && o.contains(*s) {
            return Some(format!("is recorded without the {} stage", s.as_str()));
        }
    }
    if need.no_bodies {
        if let Some(why) = body_leak(group, resource, sub, verb, d.level) {
            return Some(format!(
                "writes the secret into the log at {}: {why}",
                d.level.as_str()
            ));
        }
    }
    None
}

fn rule_text(d: &Decision, stages: bool) -> String {
    match d.rule {
        Some(r) => {
            let omitted: Vec<&str> = d.omit_stages.iter().map(|s| s.as_str()).collect();
            if omitted.is_empty() || !stages {
                format!("rule {r} (level {})", d.level.as_str())
            } else {
                format!(
                    "rule {r} (level {}, omits {})",
                    d.level.as_str(),
                    omitted.join(", ")
                )
            }
        }
        None => "no rule matches (the default, level None)".into(),
    }
}

/// Checks one need with witnesses built once ([`Witnesses::of`]).
pub fn check_with(c: &CompiledPolicy, w: &Witnesses, need: &Need) -> NeedVerdict {
    check_inner(c, None, w, need)
}

/// What `c` newly fails of `need` compared with `before`: the verdict counts as failing
/// only the witness requests that `before` records as the need asks and `c` does not (a
/// change to a policy breaks a requirement for a kind even where that kind already failed
/// for other requests). `w` should be `c`'s witnesses, which name everything `before`'s
/// rules name when `c` only adds to `before`.
pub fn check_new_failures(
    c: &CompiledPolicy,
    before: &CompiledPolicy,
    w: &Witnesses,
    need: &Need,
) -> NeedVerdict {
    check_inner(c, Some(before), w, need)
}

fn check_inner(
    c: &CompiledPolicy,
    before: Option<&CompiledPolicy>,
    w: &Witnesses,
    need: &Need,
) -> NeedVerdict {
    let ts = targets(need, w);
    let n_kinds = need.kinds().len().max(1);
    let max_evals = (EVAL_BUDGET / c.rule_count().max(1) / n_kinds).clamp(MIN_EVALS, MAX_EVALS);
    let mut kinds = Vec::new();
    let mut deciders: BTreeSet<usize> = BTreeSet::new();
    for kind in need.kinds() {
        let mut kv = KindVerdict {
            kind,
            ok: true,
            failures: Vec::new(),
            failed: 0,
            checked: 0,
            rules: Vec::new(),
            no_rule: false,
            complete: true,
        };
        // (rule, target, verb) of the candidates kept (URLs: any verb).
        let mut shown: HashSet<(Option<usize>, usize, &str)> = HashSet::new();
        let mut rules: BTreeSet<usize> = BTreeSet::new();
        let mut evals = 0usize;
        'ident: for (user, groups) in w.identities(kind) {
            // The kind's generic identity comes first and is probed whole (up to twice the budget).
            if evals >= max_evals {
                kv.complete = false;
                break;
            }
            let grefs: Vec<&str> = groups.iter().map(|s| s.as_str()).collect();
            for (ti, t) in ts.iter().enumerate() {
                for verb in verbs_for(need, t) {
                    // Probes one request; false when the budget is spent.
                    let mut probe = |ns: &str, name: &str| -> bool {
                        let a = match t {
                            Target::Res {
                                group,
                                resource,
                                sub,
                                ..
                            } => RequestAttrs {
                                user,
                                groups: &grefs,
                                verb,
                                resource_request: true,
                                api_group: group,
                                resource,
                                subresource: sub,
                                namespace: ns,
                                name,
                                path: "",
                            },
                            Target::Url(u) => RequestAttrs {
                                user,
                                groups: &grefs,
                                verb,
                                resource_request: false,
                                path: u,
                                ..Default::default()
                            },
                        };
                        // Even the generic identity stops at twice the budget (a policy
                        // naming thousands of namespaces and names).
                        if evals >= 2 * max_evals {
                            kv.complete = false;
                            return false;
                        }
                        let d = c.evaluate(&a);
                        kv.checked += 1;
                        evals += 1;
                        let Some(why) = judge(need, t, verb, &d) else {
                            if let Some(r) = d.rule {
                                deciders.insert(r);
                            }
                            return true;
                        };
                        if before.is_some_and(|b| judge(need, t, verb, &b.evaluate(&a)).is_some()) {
                            // It failed before the change too: not this change's doing.
                            return true;
                        }
                        kv.ok = false;
                        kv.failed += 1;
                        match d.rule {
                            Some(r) => {
                                rules.insert(r);
                            }
                            None => kv.no_rule = true,
                        }
                        let url = matches!(t, Target::Url(_));
                        let vkey = if url { "" } else { verb };
                        if kv.failures.len() < CANDIDATES && shown.insert((d.rule, ti, vkey)) {
                            let res_text = match t {
                                Target::Res { text, .. } => shown_text(text),
                                Target::Url(u) => u.replace(FRESH, "…"),
                            };
                            let mut req = format!("`{verb} {res_text}");
                            if !url && !name.is_empty() && name != FRESH {
                                req.push_str(&format!(" {name}"));
                            }
                            req.push('`');
                            if !url {
                                if ns.is_empty() {
                                    if matches!(verb, "list" | "watch")
                                        && scope_of(t) != Scope::Cluster
                                    {
                                        req.push_str(" in all namespaces");
                                    }
                                } else if ns == FRESH {
                                    req.push_str(" in any namespace");
                                } else {
                                    req.push_str(&format!(" in {ns}"));
                                }
                            }
                            let who = who(user);
                            kv.failures.push(Failure {
                                user: user.to_string(),
                                groups: groups.to_vec(),
                                verb: verb.to_string(),
                                resource: res_text,
                                namespace: ns.to_string(),
                                name: name.to_string(),
                                level: d.level,
                                omitted: d.omit_stages.iter().collect(),
                                rule: d.rule,
                                why: format!(
                                    "{req} by {who} {why} — {}",
                                    rule_text(&d, why.contains("stage"))
                                ),
                                decider: rule_text(&d, why.contains("stage")),
                                request: req,
                                reason: why,
                            });
                        }
                        true
                    };
                    match t {
                        Target::Url(_) => {
                            if !probe("", "") {
                                break 'ident;
                            }
                        }
                        Target::Res { sub, .. } => {
                            let sc = scope_of(t);
                            let mut nss: Vec<&str> = Vec::new();
                            if sc != Scope::Cluster {
                                nss.extend(w.namespaces.iter().map(|s| s.as_str()));
                            }
                            if sc != Scope::Namespaced || matches!(verb, "list" | "watch") {
                                nss.push("");
                            }
                            // Names: a request for one object has one (gets, writes, connect
                            // subresources), a list or watch may select one by field, a
                            // create or deletecollection has none (requestinfo.go).
                            let named: Vec<&str> = w.names.iter().map(|s| s.as_str()).collect();
                            let names: Vec<&str> = if !sub.is_empty()
                                || matches!(verb, "get" | "update" | "patch" | "delete")
                            {
                                named
                            } else if matches!(verb, "list" | "watch") {
                                std::iter::once("")
                                    .chain(named[1..].iter().copied())
                                    .collect()
                            } else if matches!(verb, "create" | "deletecollection") {
                                vec![""]
                            } else {
                                std::iter::once("").chain(named).collect()
                            };
                            for ns in &nss {
                                for name in &names {
                                    if !probe(ns, name) {
                                        break 'ident;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        kv.rules = rules.into_iter().collect();
        kv.failures = pick(std::mem::take(&mut kv.failures));
        kinds.push(kv);
    }
    let ok = kinds.iter().all(|k| k.ok);
    let rules = if ok {
        deciders.into_iter().collect()
    } else {
        let mut r: Vec<usize> = kinds.iter().flat_map(|k| k.rules.iter().copied()).collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    NeedVerdict {
        need: need.clone(),
        kinds,
        ok,
        rules,
    }
}

/// A target as failures show it: fresh parts as `*` (`*.*` is any resource of any group).
fn shown_text(text: &str) -> String {
    text.replace(FRESH_GROUP, "*").replace(FRESH, "*")
}

/// A witness user as failures say it: the generic identities as "any …".
pub fn who(user: &str) -> String {
    if user == "audit-lens:probe-human" {
        return "any human".into();
    }
    if user == format!("system:node:{FRESH}") {
        return "any node".into();
    }
    if let Some(rest) = user.strip_prefix("system:serviceaccount:") {
        if rest == format!("{FRESH}:probe") {
            return "any service account".into();
        }
        if let Some(ns) = rest.strip_suffix(&format!(":{FRESH}")) {
            return format!("any service account of {ns}");
        }
    }
    user.to_string()
}

fn scope_of(t: &Target) -> Scope {
    match t {
        Target::Res {
            group, resource, ..
        } => scope(group, resource),
        Target::Url(_) => Scope::Cluster,
    }
}

/// Decides one need for each kind of identity (see the module documentation). `seen`:
/// identities (user, groups) seen in the loaded log, probed too (may be empty).
pub fn check_need(p: &LoadedPolicy, need: &Need, seen: &[(String, Vec<String>)]) -> NeedVerdict {
    let w = Witnesses::of(
        &p.policy,
        p.compiled.kube_version().allows_group_wildcard(),
        seen,
    );
    check_with(&p.compiled, &w, need)
}

/// Rules that write a secret into the log, with what they write: for each rule (sorted),
/// one sentence per [`LEAKY`] resource and verb it leaks ("create secrets at Request: the
/// request body is the Secret, its data included").
pub fn leaking_rules(c: &CompiledPolicy, w: &Witnesses) -> Vec<(usize, Vec<String>)> {
    let mut out: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for &(group, resource, sub, label, verbs) in LEAKY {
        for verb in verbs {
            let need = Need {
                id: String::new(),
                title: String::new(),
                resources: vec![res_text(group, resource, sub)],
                verbs: vec![verb.to_string()],
                min_level: Level::None,
                no_bodies: true,
                stages: Vec::new(),
                kinds: Vec::new(),
                except: Vec::new(),
            };
            let v = check_with(c, w, &need);
            for r in v.rules.iter().filter(|_| !v.ok) {
                let level = c.rule_level(*r);
                if let Some(why) = body_leak(group, resource, sub, verb, level) {
                    out.entry(*r)
                        .or_default()
                        .push(format!("{verb} {label} at {}: {why}", level.as_str()));
                }
            }
        }
    }
    out.into_iter().collect()
}
