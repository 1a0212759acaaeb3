//! Security-relevant facts taken out of an event at ingest.
//!
//! Most events carry nothing of interest beyond their metadata; a few carry a body or a
//! request URI that says something a security engineer wants to find without opening
//! every event: a privileged pod, a host path mounted, a binding to `cluster-admin`, a
//! role with wildcards, the command of a `kubectl exec`. Those few facts are read once, at
//! ingest, and kept beside the row (see [`Store::facts`](crate::store::Store::facts)).
//!
//! # What is read, from where
//! - **Pod specs** (verbs `create`, `update`, `patch`; no subresource, or
//!   `ephemeralcontainers` for pods): `pods` → `spec`; `podtemplates` → `template.spec`;
//!   `deployments`, `replicasets`, `statefulsets`, `daemonsets`, `jobs`,
//!   `replicationcontrollers` → `spec.template.spec`; `cronjobs` →
//!   `spec.jobTemplate.spec.template.spec`. In the spec: `hostPID`, `hostIPC`,
//!   `hostNetwork`, `volumes[].hostPath.path`, `securityContext.runAsUser`, and of every
//!   container in `containers`, `initContainers` and `ephemeralContainers`: `image`,
//!   `securityContext.privileged`, `.allowPrivilegeEscalation`, `.runAsUser`,
//!   `.capabilities.add` (field names as in k8s.io/api core/v1 `types.go`).
//! - **Bindings** (`rolebindings`, `clusterrolebindings`; same verbs): `roleRef.kind`,
//!   `roleRef.name`, `subjects[].kind/namespace/name` (k8s.io/api rbac/v1).
//! - **Roles** (`roles`, `clusterroles`; same verbs): `rules[].verbs/apiGroups/resources`:
//!   wildcards, and whether a rule grants `pods/exec` or `pods/attach`, secrets reads,
//!   `escalate`/`bind` on roles, or `impersonate` — matched as kube-apiserver's RBAC
//!   authorizer matches (`VerbMatches`, `APIGroupMatches`, `ResourceMatches` of
//!   pkg/apis/rbac/v1/evaluation_helpers.go: `*` matches all, `*/sub` any subresource `sub`).
//! - **Services** (same verbs): `spec.type` (`NodePort`, `LoadBalancer`) and
//!   `spec.ports[].nodePort` (core/v1 `ServiceSpec`).
//! - **ConfigMaps** (same verbs): `data` keys and values that look like credentials
//!   ([`credential_key`]); the values themselves are never kept.
//! - **exec / attach / portforward** (`pods` with that subresource, any verb): from the
//!   request URI's query, every `command=` in order (percent-decoded, `+` is a space, as
//!   Go's `url.ParseQuery`), the first `container=`, `tty`, `stdin` (true as Go's
//!   `strconv.ParseBool`), and `ports=` for a port-forward (PodExecOptions,
//!   PodAttachOptions, PodPortForwardOptions in core/v1).
//!
//! The body is the `requestObject`, or the `responseObject` when the request has none or
//! it is no object of that shape (a JSON patch is a list of operations). A body that is
//! not what the resource's type says gives no facts (never an error: the event is kept).
//! Facts of a patch are what the patch sets, not the whole object.
//!
//! # Reading them back
//! [`Store::facts`](crate::store::Store::facts)`(row)` gives `None` for most rows, else a
//! [`Facts`] view: `bits` (the `FACT_*` constants, tested with `&`), and the strings:
//! [`Facts::images`], [`Facts::host_paths`], [`Facts::capabilities`], [`Facts::role_ref`]
//! (kind, name), [`Facts::subjects`] (kind, namespace, name), [`Facts::command`],
//! [`Facts::container`], [`Facts::ports`]. Strings are interned once per store
//! (`Store::dict.facts`); [`EventFacts`] is the stored form (ids into that dictionary).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A container (of any kind) is privileged (`securityContext.privileged: true`).
pub const FACT_PRIVILEGED: u32 = 1;
/// `hostPID: true`.
pub const FACT_HOST_PID: u32 = 1 << 1;
/// `hostIPC: true`.
pub const FACT_HOST_IPC: u32 = 1 << 2;
/// `hostNetwork: true`.
pub const FACT_HOST_NETWORK: u32 = 1 << 3;
/// At least one `hostPath` volume (paths in [`Facts::host_paths`]).
pub const FACT_HOST_PATH: u32 = 1 << 4;
/// A container adds capabilities (in [`Facts::capabilities`]).
pub const FACT_ADDED_CAPS: u32 = 1 << 5;
/// `runAsUser: 0` in the pod's or a container's security context.
pub const FACT_RUN_AS_ROOT: u32 = 1 << 6;
/// A container sets `allowPrivilegeEscalation: true`.
pub const FACT_PRIV_ESCALATION: u32 = 1 << 7;
/// A role rule has verb `*`.
pub const FACT_WILDCARD_VERBS: u32 = 1 << 8;
/// A role rule has resource `*`.
pub const FACT_WILDCARD_RESOURCES: u32 = 1 << 9;
/// A role rule has API group `*`.
pub const FACT_WILDCARD_API_GROUPS: u32 = 1 << 10;
/// A role grants `create`/`get` on `pods/exec` or `pods/attach`.
pub const FACT_GRANTS_EXEC: u32 = 1 << 11;
/// A role grants `get`, `list` or `watch` on secrets.
pub const FACT_GRANTS_SECRETS: u32 = 1 << 12;
/// A role grants `escalate` or `bind` on roles or cluster roles.
pub const FACT_GRANTS_ESCALATE: u32 = 1 << 13;
/// A role grants `impersonate` (users, groups, service accounts, uids or extras).
pub const FACT_GRANTS_IMPERSONATE: u32 = 1 << 14;
/// A binding's `roleRef` is the ClusterRole `cluster-admin`.
pub const FACT_CLUSTER_ADMIN: u32 = 1 << 15;
/// The event is a `pods/exec`.
pub const FACT_EXEC: u32 = 1 << 16;
/// The event is a `pods/attach`.
pub const FACT_ATTACH: u32 = 1 << 17;
/// The event is a `pods/portforward`.
pub const FACT_PORTFORWARD: u32 = 1 << 18;
/// exec/attach asked for a terminal (`tty=true`).
pub const FACT_TTY: u32 = 1 << 19;
/// exec/attach asked for stdin (`stdin=true`).
pub const FACT_STDIN: u32 = 1 << 20;
/// The facts came from a pod spec (pod, template or workload).
pub const FACT_POD_SPEC: u32 = 1 << 21;
/// The facts came from a binding.
pub const FACT_BINDING: u32 = 1 << 22;
/// The facts came from a role's rules.
pub const FACT_ROLE: u32 = 1 << 23;
/// A Service exposed on every node: `spec.type` `NodePort` or `LoadBalancer` (which
/// allocates node ports too unless `allocateLoadBalancerNodePorts: false`), or a port
/// with an explicit `nodePort` (core/v1 `ServiceSpec`, `ServicePort`).
pub const FACT_NODE_PORT: u32 = 1 << 24;
/// A ConfigMap whose `data` looks like it holds credentials: a key naming a password,
/// token, secret, API or access key or private key, with a non-empty value; or any
/// value holding a PEM private key or an AWS access key id (see [`credential_key`]).
pub const FACT_CREDENTIALS: u32 = 1 << 25;

/// Every bit with its short name (the names a filter term may use).
pub const FACT_NAMES: &[(u32, &str)] = &[
    (FACT_PRIVILEGED, "privileged"),
    (FACT_HOST_PID, "hostPID"),
    (FACT_HOST_IPC, "hostIPC"),
    (FACT_HOST_NETWORK, "hostNetwork"),
    (FACT_HOST_PATH, "hostPath"),
    (FACT_ADDED_CAPS, "capabilities"),
    (FACT_RUN_AS_ROOT, "runAsRoot"),
    (FACT_PRIV_ESCALATION, "allowPrivilegeEscalation"),
    (FACT_WILDCARD_VERBS, "wildcardVerbs"),
    (FACT_WILDCARD_RESOURCES, "wildcardResources"),
    (FACT_WILDCARD_API_GROUPS, "wildcardApiGroups"),
    (FACT_GRANTS_EXEC, "grantsExec"),
    (FACT_GRANTS_SECRETS, "grantsSecrets"),
    (FACT_GRANTS_ESCALATE, "grantsEscalate"),
    (FACT_GRANTS_IMPERSONATE, "grantsImpersonate"),
    (FACT_CLUSTER_ADMIN, "clusterAdmin"),
    (FACT_EXEC, "exec"),
    (FACT_ATTACH, "attach"),
    (FACT_PORTFORWARD, "portforward"),
    (FACT_TTY, "tty"),
    (FACT_STDIN, "stdin"),
    (FACT_POD_SPEC, "podSpec"),
    (FACT_BINDING, "binding"),
    (FACT_ROLE, "role"),
    (FACT_NODE_PORT, "nodePort"),
    (FACT_CREDENTIALS, "credentials"),
];

/// The facts of one event as stored: `bits` and the ids of its strings in the store's
/// fact dictionary (`Store::dict.facts`; id 0 is ""), packed into one slice: `[n, images…,
/// n, host paths…, n, capabilities…, roleRef kind, roleRef name, n, (kind, namespace,
/// name)…, n, command…, container, n, ports…]` (24 B plus 4 B an id; equal facts are
/// stored once per store).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventFacts {
    pub bits: u32,
    ids: Box<[u32]>,
}

/// The sections of an [`EventFacts`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Parts<'a> {
    pub images: &'a [u32],
    pub host_paths: &'a [u32],
    pub capabilities: &'a [u32],
    pub role_ref: [u32; 2],
    /// Flattened (kind, namespace, name) triples.
    pub subjects: &'a [u32],
    pub command: &'a [u32],
    pub container: u32,
    pub ports: &'a [u32],
}

impl EventFacts {
    /// Packs `f` with its strings interned by `intern`.
    pub fn pack(f: &FactsIn, mut intern: impl FnMut(&str) -> u32) -> EventFacts {
        let mut ids = Vec::new();
        let mut list = |ids: &mut Vec<u32>, items: &mut dyn Iterator<Item = &str>| {
            let at = ids.len();
            ids.push(0);
            for x in items {
                ids.push(intern(x));
            }
            ids[at] = (ids.len() - at - 1) as u32;
        };
        list(&mut ids, &mut f.images.iter().map(|x| x.as_ref()));
        list(&mut ids, &mut f.host_paths.iter().map(|x| x.as_ref()));
        list(&mut ids, &mut f.capabilities.iter().map(|x| x.as_ref()));
        let (k, n) = f
            .role_ref
            .as_ref()
            .map_or(("", ""), |(k, n)| (k.as_ref(), n.as_ref()));
        list(&mut ids, &mut [k, n].into_iter());
        list(
            &mut ids,
            &mut f
                .subjects
                .iter()
                .flat_map(|(k, ns, n)| [k.as_ref(), ns.as_ref(), n.as_ref()]),
        );
        list(&mut ids, &mut f.command.iter().map(|x| x.as_str()));
        list(&mut ids, &mut f.container.as_deref().into_iter());
        list(&mut ids, &mut f.ports.iter().map(|x| x.as_str()));
        EventFacts {
            bits: f.bits,
            ids: ids.into_boxed_slice(),
        }
    }

    /// The sections, or `None` when the packing is malformed (only a decoded piece could
    /// be: `store::wire` refuses it).
    pub fn parts(&self) -> Option<Parts<'_>> {
        let mut rest: &[u32] = &self.ids;
        let mut next = || -> Option<&[u32]> {
            let (&n, tail) = rest.split_first()?;
            let n = n as usize;
            if tail.len() < n {
                return None;
            }
            let (a, b) = tail.split_at(n);
            rest = b;
            Some(a)
        };
        let images = next()?;
        let host_paths = next()?;
        let capabilities = next()?;
        let role = next()?;
        let subjects = next()?;
        let command = next()?;
        let container = next()?;
        let ports = next()?;
        if role.len() != 2 || subjects.len() % 3 != 0 || container.len() > 1 || !rest.is_empty() {
            return None;
        }
        Some(Parts {
            images,
            host_paths,
            capabilities,
            role_ref: [role[0], role[1]],
            subjects,
            command,
            container: container.first().copied().unwrap_or(0),
            ports,
        })
    }

    /// Every string id (and section length) it holds, to check or remap: only the ids,
    /// the lengths are skipped.
    pub fn remap(&mut self, mut f: impl FnMut(u32) -> u32) {
        let mut i = 0;
        while i < self.ids.len() {
            let n = self.ids[i] as usize;
            let end = (i + 1 + n).min(self.ids.len());
            for id in &mut self.ids[i + 1..end] {
                *id = f(*id);
            }
            i = end;
        }
    }

    /// The largest string id it holds (0 when none).
    pub fn max_id(&self) -> u32 {
        let mut m = 0;
        let mut c = self.clone();
        c.remap(|id| {
            m = m.max(id);
            id
        });
        m
    }

    /// Bytes it uses, inline and on the heap.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + 4 * self.ids.len()
    }
}

/// A row's facts with their strings (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub bits: u32,
    pub parts: Parts<'a>,
    pub strs: &'a crate::store::Interner,
}

impl<'a> Facts<'a> {
    fn each(&self, ids: &'a [u32]) -> impl Iterator<Item = &'a str> + 'a {
        let s = self.strs;
        ids.iter().map(move |&i| s.get(i))
    }
    /// Whether every bit of `mask` is set.
    pub fn has(&self, mask: u32) -> bool {
        self.bits & mask == mask
    }
    /// Container images (each once, in document order).
    pub fn images(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.each(self.parts.images)
    }
    pub fn host_paths(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.each(self.parts.host_paths)
    }
    /// Added capabilities (each once).
    pub fn capabilities(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.each(self.parts.capabilities)
    }
    /// `roleRef` (kind, name) of a binding.
    pub fn role_ref(&self) -> Option<(&'a str, &'a str)> {
        let [k, n] = self.parts.role_ref;
        (k != 0 || n != 0).then(|| (self.strs.get(k), self.strs.get(n)))
    }
    /// Subjects of a binding: (kind, namespace, name).
    pub fn subjects(&self) -> impl Iterator<Item = (&'a str, &'a str, &'a str)> + 'a {
        let s = self.strs;
        self.parts
            .subjects
            .chunks_exact(3)
            .map(move |c| (s.get(c[0]), s.get(c[1]), s.get(c[2])))
    }
    /// The exec command, argument by argument, decoded.
    pub fn command(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.each(self.parts.command)
    }
    /// The command as one line, arguments joined by spaces (quoted when they hold one).
    pub fn command_line(&self) -> String {
        join_command(self.command())
    }
    /// exec/attach/portforward target container ("" when the URI names none).
    pub fn container(&self) -> &'a str {
        self.strs.get(self.parts.container)
    }
    pub fn ports(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.each(self.parts.ports)
    }
    /// The names of the set bits ([`FACT_NAMES`]).
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        FACT_NAMES
            .iter()
            .filter(|(b, _)| self.bits & b != 0)
            .map(|(_, n)| *n)
    }
}

/// Facts stored once each: a row points at an entry (`1 +` its index). The hash table
/// holds only indexes (each entry lives once, in `tab`).
#[derive(Clone, Default)]
pub struct FactTable {
    tab: Vec<EventFacts>,
    index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

impl std::fmt::Debug for FactTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactTable")
            .field("len", &self.len())
            .finish()
    }
}

impl FactTable {
    /// The entry id (from 1) of `f`, added when new.
    pub fn intern(&mut self, f: EventFacts) -> u32 {
        use std::hash::BuildHasher;
        let h = self.hasher.hash_one(&f);
        let tab = &self.tab;
        if let Some(&i) = self.index.find(h, |&i| tab[i as usize - 1] == f) {
            return i;
        }
        self.tab.push(f);
        let id = self.tab.len() as u32;
        let (tab, hasher) = (&self.tab, &self.hasher);
        self.index
            .insert_unique(h, id, |&i| hasher.hash_one(&tab[i as usize - 1]));
        id
    }
    pub fn get(&self, id: u32) -> Option<&EventFacts> {
        self.tab.get((id as usize).checked_sub(1)?)
    }
    pub fn len(&self) -> usize {
        self.tab.len()
    }
    pub fn is_empty(&self) -> bool {
        self.tab.is_empty()
    }
    pub fn entries(&self) -> &[EventFacts] {
        &self.tab
    }
    /// Keeps the first `n` entries.
    pub fn truncate(&mut self, n: usize) {
        if n < self.tab.len() {
            self.tab.truncate(n);
            self.index.retain(|&mut id| id as usize <= n);
        }
    }
    pub fn clear(&mut self) {
        self.tab.clear();
        self.index.clear();
    }
    pub fn shrink_to_fit(&mut self) {
        self.tab.shrink_to_fit();
        let (tab, hasher) = (&self.tab, &self.hasher);
        use std::hash::BuildHasher;
        self.index
            .shrink_to_fit(|&i| hasher.hash_one(&tab[i as usize - 1]));
    }
    /// Bytes used: the entries and the index.
    pub fn heap_bytes(&self) -> usize {
        self.tab.iter().map(EventFacts::heap_bytes).sum::<usize>() + self.index.len() * 5
    }
}

/// Arguments joined by spaces; an argument with a blank or a quote is put in single quotes.
pub fn join_command<'s>(args: impl Iterator<Item = &'s str>) -> String {
    let mut out = String::new();
    for a in args {
        if !out.is_empty() {
            out.push(' ');
        }
        if a.is_empty() || a.contains([' ', '\t', '\n', '\'', '"']) {
            out.push('\'');
            out.push_str(&a.replace('\'', r"'\''"));
            out.push('\'');
        } else {
            out.push_str(a);
        }
    }
    out
}

/// The facts of one event before interning (borrowed from the record where possible).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FactsIn<'a> {
    pub bits: u32,
    pub images: Vec<Cow<'a, str>>,
    pub host_paths: Vec<Cow<'a, str>>,
    pub capabilities: Vec<Cow<'a, str>>,
    pub role_ref: Option<(Cow<'a, str>, Cow<'a, str>)>,
    pub subjects: Vec<(Cow<'a, str>, Cow<'a, str>, Cow<'a, str>)>,
    pub command: Vec<String>,
    pub container: Option<String>,
    pub ports: Vec<String>,
}

// ---- the body shapes (only the fields read; everything else is skipped) ----

type S<'a> = Cow<'a, str>;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(borrow, default)]
    spec: Option<Spec<'a>>,
    #[serde(borrow, default)]
    template: Option<Template<'a>>,
    #[serde(borrow, default)]
    role_ref: Option<RoleRef<'a>>,
    #[serde(borrow, default)]
    subjects: Option<Vec<Subject<'a>>>,
    #[serde(borrow, default)]
    rules: Option<Vec<Rule<'a>>>,
}

/// A PodSpec, a workload spec (`template`) and a CronJob spec (`jobTemplate`) at once:
/// each resource reads the part its type has.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    #[serde(borrow, default)]
    containers: Option<Vec<Container<'a>>>,
    #[serde(borrow, default)]
    init_containers: Option<Vec<Container<'a>>>,
    #[serde(borrow, default)]
    ephemeral_containers: Option<Vec<Container<'a>>>,
    #[serde(default, rename = "hostPID")]
    host_pid: Option<bool>,
    #[serde(default, rename = "hostIPC")]
    host_ipc: Option<bool>,
    #[serde(default)]
    host_network: Option<bool>,
    #[serde(borrow, default)]
    volumes: Option<Vec<Volume<'a>>>,
    #[serde(default)]
    security_context: Option<PodSecurityContext>,
    #[serde(borrow, default)]
    template: Option<Box<Template<'a>>>,
    #[serde(borrow, default)]
    job_template: Option<Box<Template<'a>>>,
    /// A Service's `spec.type`.
    #[serde(borrow, default, rename = "type")]
    service_type: Option<S<'a>>,
    /// A Service's `spec.ports` (a PodSpec has none at this level).
    #[serde(default)]
    ports: Option<Vec<ServicePort>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ServicePort {
    #[serde(default)]
    node_port: Option<i64>,
}

/// A ConfigMap: only `data` (string values; `binaryData` is base64 and not read).
#[derive(Deserialize, Default)]
struct ConfigMapBody<'a> {
    #[serde(borrow, default)]
    data: Option<std::collections::BTreeMap<S<'a>, S<'a>>>,
}

/// PodTemplateSpec, or a CronJob's JobTemplateSpec (both: `spec`).
#[derive(Deserialize, Default)]
struct Template<'a> {
    #[serde(borrow, default)]
    spec: Option<Spec<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Container<'a> {
    #[serde(borrow, default)]
    image: Option<S<'a>>,
    #[serde(borrow, default)]
    security_context: Option<SecurityContext<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SecurityContext<'a> {
    #[serde(default)]
    privileged: Option<bool>,
    #[serde(default)]
    allow_privilege_escalation: Option<bool>,
    #[serde(default)]
    run_as_user: Option<i64>,
    #[serde(borrow, default)]
    capabilities: Option<Capabilities<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PodSecurityContext {
    #[serde(default)]
    run_as_user: Option<i64>,
}

#[derive(Deserialize, Default)]
struct Capabilities<'a> {
    #[serde(borrow, default)]
    add: Option<Vec<S<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Volume<'a> {
    #[serde(borrow, default)]
    host_path: Option<HostPath<'a>>,
}

#[derive(Deserialize, Default)]
struct HostPath<'a> {
    #[serde(borrow, default)]
    path: Option<S<'a>>,
}

#[derive(Deserialize, Default)]
struct RoleRef<'a> {
    #[serde(borrow, default)]
    kind: Option<S<'a>>,
    #[serde(borrow, default)]
    name: Option<S<'a>>,
}

#[derive(Deserialize, Default)]
struct Subject<'a> {
    #[serde(borrow, default)]
    kind: Option<S<'a>>,
    #[serde(borrow, default)]
    namespace: Option<S<'a>>,
    #[serde(borrow, default)]
    name: Option<S<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    #[serde(borrow, default)]
    verbs: Option<Vec<S<'a>>>,
    #[serde(borrow, default)]
    api_groups: Option<Vec<S<'a>>>,
    #[serde(borrow, default)]
    resources: Option<Vec<S<'a>>>,
}

/// Which part of a body holds the facts of a resource.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    Pod,
    PodTemplate,
    Workload,
    CronJob,
    Binding,
    Role,
    Service,
    ConfigMap,
}

fn shape(resource: &str, subresource: &str) -> Option<Shape> {
    let sh = match resource {
        "pods" => Shape::Pod,
        "podtemplates" => Shape::PodTemplate,
        "deployments"
        | "replicasets"
        | "statefulsets"
        | "daemonsets"
        | "jobs"
        | "replicationcontrollers" => Shape::Workload,
        "cronjobs" => Shape::CronJob,
        "rolebindings" | "clusterrolebindings" => Shape::Binding,
        "roles" | "clusterroles" => Shape::Role,
        "services" => Shape::Service,
        "configmaps" => Shape::ConfigMap,
        _ => return None,
    };
    let sub_ok =
        subresource.is_empty() || (sh == Shape::Pod && subresource == "ephemeralcontainers");
    sub_ok.then_some(sh)
}

/// Whether an event of this resource and verb may carry facts (the cheap test ingest
/// makes before looking at any body or URI).
#[inline]
pub fn is_candidate(verb: &str, resource: &str, subresource: &str) -> bool {
    if resource == "pods" && matches!(subresource, "exec" | "attach" | "portforward") {
        return true;
    }
    matches!(verb, "create" | "update" | "patch") && shape(resource, subresource).is_some()
}

/// The facts of one event, or `None` when it has none. `request_object` and
/// `response_object` are the raw JSON texts of the bodies (as the scanner and the serde
/// path both give them), `request_uri` the decoded `requestURI`.
pub fn extract<'a>(
    verb: &str,
    resource: &str,
    subresource: &str,
    request_uri: &str,
    request_object: Option<&'a str>,
    response_object: Option<&'a str>,
) -> Option<FactsIn<'a>> {
    if resource == "pods" {
        let bit = match subresource {
            "exec" => FACT_EXEC,
            "attach" => FACT_ATTACH,
            "portforward" => FACT_PORTFORWARD,
            _ => 0,
        };
        if bit != 0 {
            return Some(from_uri(bit, request_uri));
        }
    }
    if !matches!(verb, "create" | "update" | "patch") {
        return None;
    }
    let sh = shape(resource, subresource)?;
    let objects = || {
        [request_object, response_object]
            .into_iter()
            .flatten()
            .map(str::trim_start)
            .filter(|t| t.starts_with('{'))
    };
    if sh == Shape::ConfigMap {
        let cm = objects().find_map(|t| serde_json::from_str::<ConfigMapBody>(t).ok())?;
        let hit = cm.data.iter().flatten().any(|(k, v)| credential_key(k, v));
        return hit.then(|| FactsIn {
            bits: FACT_CREDENTIALS,
            ..FactsIn::default()
        });
    }
    let body = objects().find_map(|t| serde_json::from_str::<Body>(t).ok())?;
    let mut f = FactsIn::default();
    match sh {
        Shape::Pod => pod_spec(&mut f, body.spec),
        Shape::PodTemplate => pod_spec(&mut f, body.template.and_then(|t| t.spec)),
        Shape::Workload => pod_spec(&mut f, template_spec(body.spec)),
        Shape::CronJob => pod_spec(
            &mut f,
            body.spec
                .and_then(|s| s.job_template)
                .and_then(|j| template_spec(j.spec)),
        ),
        Shape::Binding => binding(&mut f, body.role_ref, body.subjects),
        Shape::Role => role(&mut f, body.rules),
        Shape::Service => service(&mut f, body.spec),
        Shape::ConfigMap => {}
    }
    (f.bits != 0).then_some(f)
}

fn service(f: &mut FactsIn, spec: Option<Spec>) {
    let Some(spec) = spec else { return };
    let typed = matches!(
        spec.service_type.as_deref(),
        Some("NodePort" | "LoadBalancer")
    );
    let explicit = spec
        .ports
        .iter()
        .flatten()
        .any(|p| p.node_port.is_some_and(|n| n != 0));
    if typed || explicit {
        f.bits |= FACT_NODE_PORT;
    }
}

/// Key words that name a credential (compared case-insensitively, `-` and `.` read as
/// `_`): the kinds of secret people keep in ConfigMaps by mistake.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "credential",
];

/// Ends of an identifier that names where a credential is, or its settings, rather than
/// holding one (`secretName`, `token_file`, `tokenTTL`).
const POINTER_TAILS: &[&str] = &["name", "ref", "file", "path", "ttl", "dir"];

fn normalized(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Whether a ConfigMap entry looks like a credential:
/// - its key names one ([`CREDENTIAL_WORDS`]: `db-password`, `API_KEY`) and its value is
///   not empty;
/// - or its value assigns one, as a properties, INI, env or YAML file inside a ConfigMap
///   does (`aws_access_key_id = …`, `password: …`): a word followed, after optional
///   quotes and spaces, by `=` or `:` and a value;
/// - or its value holds a PEM private key (`-----BEGIN … PRIVATE KEY-----`) or an AWS
///   access key id (`AKIA` and 16 upper-case letters or digits).
pub fn credential_key(key: &str, value: &str) -> bool {
    let k = normalized(key);
    if !value.trim().is_empty()
        && CREDENTIAL_WORDS.iter().any(|w| k.contains(w))
        && !POINTER_TAILS.iter().any(|t| k.ends_with(t))
    {
        return true;
    }
    let v = normalized(value);
    let assigns = CREDENTIAL_WORDS.iter().any(|w| {
        v.match_indices(w).any(|(i, _)| {
            // The rest of the identifier (`aws_secret_access_key_id`), then the assignment.
            let after = &v[i + w.len()..];
            let rest = after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
            // `secretName:`, `tokenFile =`, `password_path:` name where a credential is,
            // they do not hold one.
            let tail = &after[..after.len() - rest.len()];
            if POINTER_TAILS.iter().any(|t| tail.ends_with(t)) {
                return false;
            }
            let rest = rest.trim_start_matches(['"', '\'', ' ', '\t']);
            let Some(val) = rest.strip_prefix(['=', ':']) else {
                return false;
            };
            let val = val.trim_start_matches([' ', '\t', '"', '\'']);
            val.chars()
                .next()
                .is_some_and(|c| !c.is_whitespace() && c != '#')
        })
    });
    if assigns {
        return true;
    }
    let pem = value.find("-----BEGIN ").is_some_and(|i| {
        value[i..]
            .lines()
            .next()
            .is_some_and(|l| l.contains("PRIVATE KEY-----"))
    });
    pem || aws_key_id(value)
}

fn aws_key_id(v: &str) -> bool {
    let b = v.as_bytes();
    b.windows(20).any(|w| {
        w.starts_with(b"AKIA")
            && w[4..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

fn template_spec(spec: Option<Spec>) -> Option<Spec> {
    spec.and_then(|s| s.template).and_then(|t| t.spec)
}

fn push_once<'a>(v: &mut Vec<Cow<'a, str>>, s: Cow<'a, str>) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn pod_spec<'a>(f: &mut FactsIn<'a>, spec: Option<Spec<'a>>) {
    let Some(spec) = spec else { return };
    f.bits |= FACT_POD_SPEC;
    if spec.host_pid == Some(true) {
        f.bits |= FACT_HOST_PID;
    }
    if spec.host_ipc == Some(true) {
        f.bits |= FACT_HOST_IPC;
    }
    if spec.host_network == Some(true) {
        f.bits |= FACT_HOST_NETWORK;
    }
    if spec.security_context.and_then(|s| s.run_as_user) == Some(0) {
        f.bits |= FACT_RUN_AS_ROOT;
    }
    for v in spec.volumes.into_iter().flatten() {
        if let Some(hp) = v.host_path {
            f.bits |= FACT_HOST_PATH;
            push_once(&mut f.host_paths, hp.path.unwrap_or_default());
        }
    }
    let all = [
        spec.containers,
        spec.init_containers,
        spec.ephemeral_containers,
    ];
    for c in all.into_iter().flatten().flatten() {
        if let Some(img) = c.image {
            push_once(&mut f.images, img);
        }
        let Some(sc) = c.security_context else {
            continue;
        };
        if sc.privileged == Some(true) {
            f.bits |= FACT_PRIVILEGED;
        }
        if sc.allow_privilege_escalation == Some(true) {
            f.bits |= FACT_PRIV_ESCALATION;
        }
        if sc.run_as_user == Some(0) {
            f.bits |= FACT_RUN_AS_ROOT;
        }
        for cap in sc.capabilities.and_then(|c| c.add).into_iter().flatten() {
            f.bits |= FACT_ADDED_CAPS;
            push_once(&mut f.capabilities, cap);
        }
    }
}

fn binding<'a>(
    f: &mut FactsIn<'a>,
    role_ref: Option<RoleRef<'a>>,
    subjects: Option<Vec<Subject<'a>>>,
) {
    if role_ref.is_none() && subjects.is_none() {
        return;
    }
    f.bits |= FACT_BINDING;
    if let Some(r) = role_ref {
        let (k, n) = (r.kind.unwrap_or_default(), r.name.unwrap_or_default());
        if k == "ClusterRole" && n == "cluster-admin" {
            f.bits |= FACT_CLUSTER_ADMIN;
        }
        f.role_ref = Some((k, n));
    }
    for s in subjects.into_iter().flatten() {
        f.subjects.push((
            s.kind.unwrap_or_default(),
            s.namespace.unwrap_or_default(),
            s.name.unwrap_or_default(),
        ));
    }
}

/// kube-apiserver's RBAC match of one rule (evaluation_helpers.go): verb, group, and
/// resource with `*` and `*/subresource`.
fn rule_allows(r: &Rule, verbs: &[&str], groups: &[&str], resources: &[&str]) -> bool {
    let any = |list: &Option<Vec<S>>, wanted: &[&str], all: &str| {
        list.iter()
            .flatten()
            .any(|x| x == all || wanted.contains(&x.as_ref()))
    };
    let resource_ok = r.resources.iter().flatten().any(|rr| {
        rr == "*"
            || resources.contains(&rr.as_ref())
            || rr.strip_prefix("*/").is_some_and(|sub| {
                resources
                    .iter()
                    .any(|want| want.split_once('/').is_some_and(|(_, s)| s == sub))
            })
    });
    any(&r.verbs, verbs, "*") && any(&r.api_groups, groups, "*") && resource_ok
}

fn role(f: &mut FactsIn, rules: Option<Vec<Rule>>) {
    let Some(rules) = rules else { return };
    f.bits |= FACT_ROLE;
    for r in &rules {
        let has = |l: &Option<Vec<S>>| l.iter().flatten().any(|x| x == "*");
        if has(&r.verbs) {
            f.bits |= FACT_WILDCARD_VERBS;
        }
        if has(&r.resources) {
            f.bits |= FACT_WILDCARD_RESOURCES;
        }
        if has(&r.api_groups) {
            f.bits |= FACT_WILDCARD_API_GROUPS;
        }
        if rule_allows(r, &["create", "get"], &[""], &["pods/exec", "pods/attach"]) {
            f.bits |= FACT_GRANTS_EXEC;
        }
        if rule_allows(r, &["get", "list", "watch"], &[""], &["secrets"]) {
            f.bits |= FACT_GRANTS_SECRETS;
        }
        if rule_allows(
            r,
            &["escalate", "bind"],
            &["rbac.authorization.k8s.io"],
            &["roles", "clusterroles"],
        ) {
            f.bits |= FACT_GRANTS_ESCALATE;
        }
        if rule_allows(
            r,
            &["impersonate"],
            &["", "authentication.k8s.io"],
            &["users", "groups", "serviceaccounts", "uids", "userextras"],
        ) {
            f.bits |= FACT_GRANTS_IMPERSONATE;
        }
    }
}

/// Go's `strconv.ParseBool` true values (query parameters become PodExecOptions fields).
fn go_true(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

fn from_uri(kind: u32, uri: &str) -> FactsIn<'static> {
    let mut f = FactsIn {
        bits: kind,
        ..Default::default()
    };
    let query = uri.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = query_unescape(k);
        let v = query_unescape(v);
        match k.as_str() {
            "command" => f.command.push(v),
            "container" if f.container.is_none() => f.container = Some(v),
            "tty" if go_true(&v) => f.bits |= FACT_TTY,
            "stdin" if go_true(&v) => f.bits |= FACT_STDIN,
            "ports" => f.ports.push(v),
            _ => {}
        }
    }
    f
}

/// Percent-decoding of a query component as Go's `url.QueryUnescape`: `+` is a space, `%XX`
/// a byte; a malformed `%` is kept as it is (Go would drop the parameter; keeping it shows
/// what was sent). Bytes that are not UTF-8 become U+FFFD.
pub fn query_unescape(s: &str) -> String {
    let b = s.as_bytes();
    if !b.iter().any(|&c| c == b'%' || c == b'+') {
        return s.to_string();
    }
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_query_is_decoded_as_go_does() {
        // OpenShift CLO audit_in.log: an exec with three command parameters.
        let f = extract(
            "create",
            "pods",
            "exec",
            "/api/v1/namespaces/openshift-kube-apiserver/pods/kube-apiserver-oscar7/exec?command=sh&command=-c&command=cat+%2Fvar%2Flog%2Fkube-apiserver%2Faudit.log+%7C+tail+-n+100&container=kube-apiserver&stderr=true&stdout=true",
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            f.command,
            [
                "sh",
                "-c",
                "cat /var/log/kube-apiserver/audit.log | tail -n 100"
            ]
        );
        assert_eq!(f.container.as_deref(), Some("kube-apiserver"));
        assert_eq!(f.bits, FACT_EXEC);
        assert_eq!(query_unescape("a%zz%4"), "a%zz%4");
        assert_eq!(query_unescape("%E2%86%92"), "→");
    }

    #[test]
    fn rbac_matching_follows_evaluation_helpers() {
        fn rule(v: &[&'static str], g: &[&'static str], r: &[&'static str]) -> Rule<'static> {
            let c = |l: &[&'static str]| Some(l.iter().map(|s| Cow::Borrowed(*s)).collect());
            Rule {
                verbs: c(v),
                api_groups: c(g),
                resources: c(r),
            }
        }
        let exec = |r: &Rule| rule_allows(r, &["create"], &[""], &["pods/exec"]);
        assert!(exec(&rule(&["create"], &[""], &["pods/exec"])));
        assert!(exec(&rule(&["*"], &["*"], &["*"])));
        assert!(exec(&rule(&["create"], &[""], &["*/exec"])));
        // `pods/*` is no wildcard in RBAC (only the literal subresource "*").
        assert!(!exec(&rule(&["create"], &[""], &["pods/*"])));
        assert!(!exec(&rule(&["create"], &[""], &["pods"])));
        assert!(!exec(&rule(&["get"], &["apps"], &["pods/exec"])));
    }
}
