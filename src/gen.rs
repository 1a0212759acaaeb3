//! Deterministic generator of realistic kube-apiserver audit logs.
//!
//! Simulates a small cluster: kubelets renewing leases, patching node status and watching
//! their pods; controllers and schedulers renewing leader leases and listing/watching;
//! kube-proxy and CoreDNS watches (ResponseStarted + ResponseComplete minutes apart);
//! a few humans with kubectl (gets, lists, logs, `exec`, port-forward, secret reads, 403s,
//! applies with request/response bodies); a CI deployer; Prometheus scraping `/metrics`;
//! anonymous probes of `/healthz`, `/version` and forbidden paths. Events are written in
//! stage-time order as kube-apiserver writes them, under a verbose "log everything"
//! policy (RequestResponse, secrets/configmaps at Metadata, RequestReceived kept) — the
//! kind of policy that makes logs grow by megabytes a minute.
//!
//! The same seed and options always give the same bytes (a seeded SplitMix64, no
//! hash-map iteration, no clock).

use crate::util::{format_rfc3339_micros, parse_rfc3339_micros};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;

/// File name under which the embedded sample is shown.
pub const SAMPLE_NAME: &str = "sample-audit.log";

/// Generator options.
#[derive(Clone, Debug)]
pub struct GenOptions {
    pub seed: u64,
    /// Start time, µs since the epoch.
    pub start: i64,
    /// Stop once this many bytes were written (0 = no byte limit).
    pub max_bytes: u64,
    /// Stop at this simulated duration in seconds (0 = no time limit).
    pub duration_s: u64,
    /// Worker nodes (each with a kubelet and kube-proxy).
    pub nodes: u32,
    /// Emit RequestReceived events too (doubles the event count, as many real logs do).
    pub request_received: bool,
    /// Scale of background activity: 1.0 = a small idle cluster.
    pub activity: f64,
    /// Scale of request/response body sizes: 1.0 = objects of realistic size.
    pub body_scale: f64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 7,
            start: parse_rfc3339_micros("2026-11-02T08:00:00Z").unwrap_or(0),
            max_bytes: 0,
            duration_s: 3600,
            nodes: 3,
            request_received: true,
            activity: 1.0,
            body_scale: 1.0,
        }
    }
}

/// Options of the page's embedded sample.
pub fn sample_options() -> GenOptions {
    GenOptions {
        duration_s: 3 * 3600,
        activity: 0.12,
        body_scale: 0.3,
        ..Default::default()
    }
}

/// The page's embedded sample: three hours of a quiet three-node cluster (about 16 MB),
/// generated on demand (nothing to download). Deterministic.
pub fn sample_log() -> Vec<u8> {
    let o = sample_options();
    let mut v = Vec::new();
    generate(&o, &mut |b| v.extend_from_slice(b));
    v
}

/// A policy in the seed's style to go with the sample: drops low-risk system reads,
/// keeps secrets at Metadata, records known APIs with bodies.
pub fn sample_policy() -> &'static str {
    SAMPLE_POLICY
}

const SAMPLE_POLICY: &str = r#"# Audit policy in the style of the GKE/GCE and common hardening guides.
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
  - "RequestReceived"
rules:
  # High-volume, low-risk requests of system components: not logged.
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
    resources:
      - group: ""
        resources: ["endpoints", "services", "services/status"]
      - group: "discovery.k8s.io"
        resources: ["endpointslices"]
  - level: None
    userGroups: ["system:nodes"]
    verbs: ["get"]
    resources:
      - group: ""
        resources: ["nodes", "nodes/status"]
  - level: None
    users:
      - system:kube-controller-manager
      - system:kube-scheduler
      - system:serviceaccount:kube-system:endpoint-controller
    verbs: ["get", "update"]
    namespaces: ["kube-system"]
    resources:
      - group: ""
        resources: ["endpoints"]
  - level: None
    resources:
      - group: "coordination.k8s.io"
        resources: ["leases"]
  - level: None
    nonResourceURLs:
      - /healthz*
      - /livez*
      - /readyz*
      - /version
      - /swagger*
  - level: None
    resources:
      - group: ""
        resources: ["events"]
      - group: "events.k8s.io"
        resources: ["events"]
  # Node status updates: the request body, not the response.
  - level: Request
    userGroups: ["system:nodes"]
    verbs: ["update", "patch"]
    resources:
      - group: ""
        resources: ["nodes/status", "pods/status"]
    omitStages:
      - "RequestReceived"
  # Secrets, ConfigMaps and token reviews may carry credentials: metadata only.
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps", "serviceaccounts/token"]
      - group: "authentication.k8s.io"
        resources: ["tokenreviews"]
    omitStages:
      - "RequestReceived"
  # Interactive access to pods: who, when, where (ResponseStarted kept).
  - level: Metadata
    resources:
      - group: ""
        resources: ["pods/exec", "pods/attach", "pods/portforward", "pods/log"]
  # Reads of known APIs: the response would be huge; the request suffices.
  - level: Request
    verbs: ["get", "list", "watch"]
    resources:
      - group: ""
      - group: "apps"
      - group: "batch"
      - group: "discovery.k8s.io"
      - group: "networking.k8s.io"
      - group: "rbac.authorization.k8s.io"
      - group: "policy"
    omitStages:
      - "RequestReceived"
  # Writes to known APIs: with bodies.
  - level: RequestResponse
    resources:
      - group: ""
      - group: "apps"
      - group: "batch"
      - group: "networking.k8s.io"
      - group: "rbac.authorization.k8s.io"
      - group: "policy"
    omitStages:
      - "RequestReceived"
  # Everything else: metadata.
  - level: Metadata
    omitStages:
      - "RequestReceived"
"#;

/// SplitMix64: tiny, fast, deterministic.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, n)`; 0 when n == 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        let v = ((a as u128) << 64 | b as u128) & !(0xF000u128 << 64) | (0x4000u128 << 64);
        let v = v & !(0xC000_0000_0000_0000u128) | 0x8000_0000_0000_0000u128;
        crate::util::format_uuid(v)
    }
}

/// Who sends requests, and how often.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Actor {
    Kubelet(u32),
    KubeProxy(u32),
    ControllerManager,
    Scheduler,
    Controllers,
    CoreDns,
    Apiserver,
    Prometheus,
    Alice,
    Bob,
    Deployer,
    Anonymous,
}

impl Actor {
    /// Mean seconds between requests at activity 1.0.
    fn period_s(self) -> f64 {
        match self {
            Actor::Kubelet(_) => 1.5,
            Actor::KubeProxy(_) => 40.0,
            Actor::ControllerManager => 1.0,
            Actor::Scheduler => 1.0,
            Actor::Controllers => 0.6,
            Actor::CoreDns => 45.0,
            Actor::Apiserver => 4.0,
            Actor::Prometheus => 3.0,
            Actor::Alice => 25.0,
            Actor::Bob => 40.0,
            Actor::Deployer => 60.0,
            Actor::Anonymous => 20.0,
        }
    }
}

/// One request to write.
#[derive(Default)]
struct Req {
    user: String,
    groups: &'static str,
    imp: Option<(&'static str, &'static str)>,
    ip: String,
    ua: &'static str,
    verb: &'static str,
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    sub: &'static str,
    ns: String,
    name: String,
    /// Non-resource path (when `resource` is empty).
    path: &'static str,
    query: String,
    code: u16,
    latency_us: i64,
    /// Long-running: ResponseStarted then ResponseComplete.
    started: bool,
    req_body: Option<String>,
    resp_body: Option<String>,
    /// Level under the recording policy.
    level: &'static str,
    reason: &'static str,
}

const KUBELET_UA: &str = "kubelet/v1.30.4 (linux/amd64) kubernetes/a51b3b7";
const KCM_UA: &str =
    "kube-controller-manager/v1.30.4 (linux/amd64) kubernetes/a51b3b7/leader-election";
const SCHED_UA: &str = "kube-scheduler/v1.30.4 (linux/amd64) kubernetes/a51b3b7/leader-election";
const CTRL_UA: &str = "kube-controller-manager/v1.30.4 (linux/amd64) kubernetes/a51b3b7/system:serviceaccount:kube-system:replicaset-controller";
const PROXY_UA: &str = "kube-proxy/v1.30.4 (linux/amd64) kubernetes/a51b3b7";
const DNS_UA: &str = "coredns/v1.11.3 (linux/amd64) kubernetes/a51b3b7";
const APISERVER_UA: &str = "kube-apiserver/v1.30.4 (linux/amd64) kubernetes/a51b3b7";
const PROM_UA: &str = "Prometheus/2.53.1";
const KUBECTL_UA: &str = "kubectl/v1.30.2 (darwin/arm64) kubernetes/3968350";
const HELM_UA: &str = "Helm/3.15.3";
const CURL_UA: &str = "curl/8.5.0";

const NAMESPACES: &[&str] = &["default", "shop", "payments", "monitoring", "kube-system"];
const APPS: &[&str] = &[
    "web", "api", "cart", "checkout", "worker", "redis", "postgres",
];

fn pod_name(rng: &mut Rng) -> String {
    let app = rng.pick(APPS);
    format!(
        "{app}-{:x}-{:05x}",
        0x5d8f6c7b9u64 + rng.below(4),
        rng.below(0xfffff)
    )
}

/// A plausible object body of about `approx` bytes (JSON, with managedFields like real ones).
#[allow(clippy::too_many_arguments)]
fn body(
    rng: &mut Rng,
    scale: f64,
    kind: &str,
    api_version: &str,
    ns: &str,
    name: &str,
    base: usize,
    spread: u64,
) -> String {
    let approx = ((base + rng.below(spread) as usize) as f64 * scale) as usize;
    let mut s = String::with_capacity(approx + 256);
    let uid = rng.uuid();
    let rv = 1_000_000 + rng.below(9_000_000);
    let _ = write!(
        s,
        r#"{{"kind":"{kind}","apiVersion":"{api_version}","metadata":{{"name":"{name}","namespace":"{ns}","uid":"{uid}","resourceVersion":"{rv}","creationTimestamp":"2026-10-30T11:2{}:0{}Z","labels":{{"app":"{}","pod-template-hash":"5d8f6c7b9"}},"managedFields":[{{"manager":"kube-controller-manager","operation":"Update","apiVersion":"{api_version}","time":"2026-10-30T11:20:00Z","fieldsType":"FieldsV1","fieldsV1":{{"f:metadata":{{"f:labels":{{".":{{}},"f:app":{{}}}}}}}}}}]}},"spec":{{"#,
        rng.below(10),
        rng.below(10),
        rng.pick(APPS),
    );
    // The shape of the kind: a workload's pod spec sits in `spec.template.spec`. The
    // bytes added here do not count towards `approx`, so the random draws (and so every
    // other figure of a generated log) stay as they were before bodies had shapes.
    let spec_at = s.len();
    let deployment = kind == "Deployment";
    if deployment {
        s.push_str(r#""replicas":2,"template":{"metadata":{"labels":{"app":"x"}},"spec":{"#);
    }
    // A node agent: the worker deployment runs privileged on the host's network, with
    // the host's /var/log mounted (a small, realistic share of fact-bearing bodies).
    let agent = deployment && name == "worker";
    if agent {
        s.push_str(r#""hostNetwork":true,"volumes":[{"name":"logs","hostPath":{"path":"/var/log","type":"Directory"}}],"#);
    }
    s.push_str(r#""containers":["#);
    let mut extra = s.len() - spec_at - r#""containers":["#.len();
    let mut i = 0;
    while s.len() - extra < approx {
        let _ = write!(
            s,
            r#"{}{{"name":"c{i}","image":"registry.example.com/{}:1.{}.{}",{}"resources":{{"requests":{{"cpu":"{}m","memory":"{}Mi"}}}},"env":[{{"name":"LOG_LEVEL","value":"info"}},{{"name":"FEATURE_FLAGS","value":"a,b,c"}}],"ports":[{{"containerPort":{}}}]}}"#,
            if i > 0 { "," } else { "" },
            rng.pick(APPS),
            rng.below(20),
            rng.below(10),
            if agent && i == 0 {
                r#""securityContext":{"privileged":true},"#
            } else {
                ""
            },
            50 + rng.below(900),
            64 + rng.below(960),
            8000 + rng.below(1000)
        );
        if agent && i == 0 {
            extra += r#""securityContext":{"privileged":true},"#.len();
        }
        i += 1;
    }
    if deployment {
        s.push_str("]}}");
    } else {
        s.push(']');
    }
    if kind == "RoleBinding" {
        // A binding has no spec: roleRef and subjects (the containers drawn above are
        // dropped, so the draws stay the same). One app in seven is bound to
        // cluster-admin (a namespaced cluster-admin binding: a real misstep).
        s.truncate(spec_at - r#""spec":{"#.len());
        let role = if name.starts_with("worker") {
            "cluster-admin"
        } else {
            "edit"
        };
        let _ = write!(
            s,
            r#""roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{role}"}},"subjects":[{{"kind":"ServiceAccount","name":"{}","namespace":"{ns}"}}]}}"#,
            name.split('-').next().unwrap_or(name)
        );
        return s;
    }
    s.push_str(r#"},"status":{"phase":"Running"}}"#);
    s
}

struct Sim<'a> {
    o: &'a GenOptions,
    rng: Rng,
    out: String,
    pending: BinaryHeap<Reverse<(i64, u64, String)>>,
    seq: u64,
    written: u64,
    sink: &'a mut dyn FnMut(&[u8]),
}

/// Generates a log into `sink` (called with whole lines, each ending in `\n`).
/// Returns the number of events written.
pub fn generate(o: &GenOptions, sink: &mut dyn FnMut(&[u8])) -> u64 {
    let mut actors = vec![
        Actor::ControllerManager,
        Actor::Scheduler,
        Actor::Controllers,
        Actor::CoreDns,
        Actor::Apiserver,
        Actor::Prometheus,
        Actor::Alice,
        Actor::Bob,
        Actor::Deployer,
        Actor::Anonymous,
    ];
    for n in 1..=o.nodes.max(1) {
        actors.push(Actor::Kubelet(n));
        actors.push(Actor::KubeProxy(n));
    }
    let mut sim = Sim {
        o,
        rng: Rng::new(o.seed),
        out: String::new(),
        pending: BinaryHeap::new(),
        seq: 0,
        written: 0,
        sink,
    };
    let mut next: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    for (i, a) in actors.iter().enumerate() {
        let first = o.start + (sim.rng.unit() * a.period_s() * 1e6) as i64;
        next.push(Reverse((first, i)));
    }
    let end = if o.duration_s == 0 {
        i64::MAX
    } else {
        o.start + o.duration_s as i64 * 1_000_000
    };
    let mut events = 0u64;
    while let Some(Reverse((t, i))) = next.pop() {
        if t >= end || (o.max_bytes > 0 && sim.written >= o.max_bytes) {
            break;
        }
        events += sim.flush_until(t);
        let a = actors[i];
        // Bursts: humans act in sessions, so most of their gaps are short.
        let human = matches!(a, Actor::Alice | Actor::Bob | Actor::Deployer);
        let mean = a.period_s() / o.activity.max(0.001);
        let gap = if human && sim.rng.chance(0.7) {
            mean * 0.08
        } else {
            mean
        };
        let dt = (-(1.0 - sim.rng.unit()).ln() * gap * 1e6) as i64 + 1000;
        next.push(Reverse((t + dt, i)));
        let req = sim.request(a, t);
        events += sim.emit(&req, t);
    }
    events += sim.flush_until(i64::MAX);
    events
}

impl Sim<'_> {
    fn flush_until(&mut self, t: i64) -> u64 {
        let mut n = 0;
        while let Some(Reverse((ts, _, _))) = self.pending.peek() {
            if *ts > t {
                break;
            }
            let Some(Reverse((_, _, line))) = self.pending.pop() else {
                break;
            };
            self.written += line.len() as u64;
            (self.sink)(line.as_bytes());
            n += 1;
        }
        n
    }

    fn request(&mut self, a: Actor, _t: i64) -> Req {
        let scale = self.o.body_scale;
        let rng = &mut self.rng;
        let node_ip = |n: u32| format!("10.0.0.{}", 10 + n);
        let mut r = Req {
            code: 200,
            version: "v1",
            level: "RequestResponse",
            latency_us: 800 + rng.below(6000) as i64,
            ..Default::default()
        };
        match a {
            Actor::Kubelet(n) => {
                r.user = format!("system:node:node-{n}");
                r.groups = r#"["system:nodes","system:authenticated"]"#;
                r.ip = node_ip(n);
                r.ua = KUBELET_UA;
                let x = rng.below(100);
                if x < 45 {
                    // Lease renewal: get + update.
                    r.group = "coordination.k8s.io";
                    r.resource = "leases";
                    r.ns = "kube-node-lease".into();
                    r.name = format!("node-{n}");
                    r.query = "?timeout=10s".into();
                    r.verb = if x < 22 { "get" } else { "update" };
                    let b = body(
                        rng,
                        scale,
                        "Lease",
                        "coordination.k8s.io/v1",
                        "kube-node-lease",
                        &r.name,
                        420,
                        0,
                    );
                    if r.verb == "update" {
                        r.req_body = Some(b.clone());
                    }
                    r.resp_body = Some(b);
                } else if x < 60 {
                    r.verb = "patch";
                    r.resource = "nodes";
                    r.sub = "status";
                    r.name = format!("node-{n}");
                    let b = body(rng, scale, "Node", "v1", "", &r.name, 2500, 4000);
                    r.req_body = Some(body(rng, scale, "Node", "v1", "", &r.name, 900, 0));
                    r.resp_body = Some(b);
                } else if x < 75 {
                    r.verb = "get";
                    r.resource = "nodes";
                    r.name = format!("node-{n}");
                    r.resp_body = Some(body(rng, scale, "Node", "v1", "", &r.name, 3000, 3000));
                } else if x < 85 {
                    r.verb = "watch";
                    r.started = true;
                    r.resource = *rng.pick(&["pods", "configmaps", "secrets", "services"]);
                    if r.resource == "pods" {
                        r.query = format!("?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3Dnode-{n}&resourceVersion={}&timeout=7m{}s&timeoutSeconds={}&watch=true", rng.below(9_999_999), rng.below(60), 420 + rng.below(60));
                    } else {
                        r.ns = rng.pick(NAMESPACES).to_string();
                        r.name = format!("{}-config", rng.pick(APPS));
                        r.query = format!("?allowWatchBookmarks=true&fieldSelector=metadata.name%3D{}&resourceVersion={}&timeout=6m{}s&timeoutSeconds=3{}&watch=true", r.name, rng.below(9_999_999), rng.below(60), rng.below(100));
                        r.name.clear();
                    }
                    r.latency_us = (300 + rng.below(180)) as i64 * 1_000_000;
                    if r.resource == "secrets" || r.resource == "configmaps" {
                        r.level = "Metadata";
                    }
                } else if x < 93 {
                    r.verb = "patch";
                    r.resource = "pods";
                    r.sub = "status";
                    r.ns = rng.pick(NAMESPACES).to_string();
                    r.name = pod_name(rng);
                    r.req_body = Some(body(rng, scale, "Pod", "v1", &r.ns, &r.name, 700, 0));
                    r.resp_body = Some(body(rng, scale, "Pod", "v1", &r.ns, &r.name, 3500, 2500));
                } else {
                    r.verb = "create";
                    r.resource = "events";
                    r.ns = rng.pick(NAMESPACES).to_string();
                    r.name = format!("{}.{:x}", pod_name(rng), rng.next_u64() & 0xffff_ffff_ffff);
                    r.code = 201;
                    let b = body(rng, scale, "Event", "v1", &r.ns, &r.name, 800, 0);
                    r.req_body = Some(b.clone());
                    r.resp_body = Some(b);
                }
            }
            Actor::KubeProxy(n) => {
                r.user = "system:kube-proxy".into();
                r.groups = r#"["system:authenticated"]"#;
                r.ip = node_ip(n);
                r.ua = PROXY_UA;
                r.verb = "watch";
                r.started = true;
                let svc = rng.chance(0.5);
                r.group = if svc { "" } else { "discovery.k8s.io" };
                r.resource = if svc { "services" } else { "endpointslices" };
                r.query = format!("?allowWatchBookmarks=true&labelSelector=%21service.kubernetes.io%2Fheadless&resourceVersion={}&timeout=8m{}s&timeoutSeconds={}&watch=true", rng.below(9_999_999), rng.below(60), 480 + rng.below(60));
                r.latency_us = (420 + rng.below(120)) as i64 * 1_000_000;
            }
            Actor::ControllerManager | Actor::Scheduler => {
                let kcm = a == Actor::ControllerManager;
                r.user = if kcm {
                    "system:kube-controller-manager"
                } else {
                    "system:kube-scheduler"
                }
                .into();
                r.groups = r#"["system:authenticated"]"#;
                r.ip = "10.0.0.2".into();
                r.ua = if kcm { KCM_UA } else { SCHED_UA };
                r.group = "coordination.k8s.io";
                r.resource = "leases";
                r.ns = "kube-system".into();
                r.name = if kcm {
                    "kube-controller-manager"
                } else {
                    "kube-scheduler"
                }
                .into();
                r.query = "?timeout=5s".into();
                r.verb = if rng.chance(0.5) { "get" } else { "update" };
                let b = body(
                    rng,
                    scale,
                    "Lease",
                    "coordination.k8s.io/v1",
                    "kube-system",
                    &r.name,
                    450,
                    0,
                );
                if r.verb == "update" {
                    r.req_body = Some(b.clone());
                }
                r.resp_body = Some(b);
            }
            Actor::Controllers => {
                let sa = *rng.pick(&[
                    "replicaset-controller",
                    "deployment-controller",
                    "endpointslice-controller",
                    "endpoint-controller",
                    "job-controller",
                    "namespace-controller",
                    "generic-garbage-collector",
                ]);
                r.user = format!("system:serviceaccount:kube-system:{sa}");
                r.groups = r#"["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]"#;
                r.ip = "10.0.0.2".into();
                r.ua = CTRL_UA;
                r.ns = rng.pick(NAMESPACES).to_string();
                let x = rng.below(100);
                let (g, res) = match sa {
                    "replicaset-controller" => ("apps", "replicasets"),
                    "deployment-controller" => ("apps", "deployments"),
                    "endpointslice-controller" => ("discovery.k8s.io", "endpointslices"),
                    "endpoint-controller" => ("", "endpoints"),
                    "job-controller" => ("batch", "jobs"),
                    "namespace-controller" => ("", "namespaces"),
                    _ => ("", "pods"),
                };
                r.group = g;
                r.resource = res;
                if res == "namespaces" {
                    r.ns.clear();
                }
                if x < 50 {
                    r.verb = "get";
                    r.name = format!("{}-{}", rng.pick(APPS), rng.below(3));
                    if res == "namespaces" {
                        r.name = rng.pick(NAMESPACES).to_string();
                    }
                    r.resp_body =
                        Some(body(rng, scale, "Object", "v1", &r.ns, &r.name, 1500, 2000));
                    if rng.chance(0.08) {
                        r.code = 404;
                        r.resp_body = None;
                        r.reason = "NotFound";
                    }
                } else if x < 80 {
                    r.verb = "update";
                    r.sub = if rng.chance(0.6) { "status" } else { "" };
                    r.name = format!("{}-{}", rng.pick(APPS), rng.below(3));
                    if res == "namespaces" {
                        r.name = rng.pick(NAMESPACES).to_string();
                    }
                    let b = body(rng, scale, "Object", "v1", &r.ns, &r.name, 1800, 2500);
                    r.req_body = Some(b.clone());
                    r.resp_body = Some(b);
                    if rng.chance(0.05) {
                        r.code = 409;
                        r.reason = "Conflict";
                    }
                } else {
                    r.verb = "list";
                    r.query = "?limit=500&resourceVersion=0".into();
                    r.resp_body = Some(body(rng, scale, "List", "v1", &r.ns, "", 6000, 20_000));
                    r.latency_us = 4000 + rng.below(40_000) as i64;
                }
            }
            Actor::CoreDns => {
                r.user = "system:serviceaccount:kube-system:coredns".into();
                r.groups = r#"["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]"#;
                r.ip = format!("10.244.0.{}", 2 + rng.below(2));
                r.ua = DNS_UA;
                r.verb = "watch";
                r.started = true;
                let svc = rng.chance(0.5);
                r.group = if svc { "" } else { "discovery.k8s.io" };
                r.resource = if svc { "services" } else { "endpointslices" };
                r.query = format!("?allowWatchBookmarks=true&resourceVersion={}&timeout=9m{}s&timeoutSeconds={}&watch=true", rng.below(9_999_999), rng.below(60), 540 + rng.below(60));
                r.latency_us = (540 + rng.below(60)) as i64 * 1_000_000;
            }
            Actor::Apiserver => {
                r.user = "system:apiserver".into();
                r.groups = r#"["system:authenticated","system:masters"]"#;
                r.ip = "::1".into();
                r.ua = APISERVER_UA;
                if rng.chance(0.5) {
                    r.verb = "get";
                    r.resource = "namespaces";
                    r.name = rng.pick(NAMESPACES).to_string();
                    r.resp_body = Some(body(rng, scale, "Namespace", "v1", "", &r.name, 600, 0));
                } else {
                    r.verb = "update";
                    r.group = "coordination.k8s.io";
                    r.resource = "leases";
                    r.ns = "kube-system".into();
                    r.name = format!("apiserver-{:x}", 0xa1b2c3u32);
                    let b = body(
                        rng,
                        scale,
                        "Lease",
                        "coordination.k8s.io/v1",
                        "kube-system",
                        &r.name,
                        430,
                        0,
                    );
                    r.req_body = Some(b.clone());
                    r.resp_body = Some(b);
                }
            }
            Actor::Prometheus => {
                r.user = "system:serviceaccount:monitoring:prometheus".into();
                r.groups = r#"["system:serviceaccounts","system:serviceaccounts:monitoring","system:authenticated"]"#;
                r.ip = "10.244.1.17".into();
                r.ua = PROM_UA;
                if rng.chance(0.6) {
                    r.verb = "get";
                    r.path = "/metrics";
                    r.level = "Metadata";
                    r.latency_us = 20_000 + rng.below(80_000) as i64;
                } else {
                    r.verb = "list";
                    r.resource = *rng.pick(&["pods", "endpoints", "services", "nodes"]);
                    r.ns = if r.resource == "nodes" {
                        String::new()
                    } else {
                        "monitoring".into()
                    };
                    r.query = "?limit=500&resourceVersion=0".into();
                    r.resp_body = Some(body(rng, scale, "List", "v1", &r.ns, "", 4000, 12_000));
                }
            }
            Actor::Alice | Actor::Bob => {
                let alice = a == Actor::Alice;
                r.user = if alice {
                    "alice@example.com"
                } else {
                    "bob@example.com"
                }
                .into();
                r.groups = if alice {
                    r#"["dev","system:authenticated"]"#
                } else {
                    r#"["platform-admins","system:masters","system:authenticated"]"#
                };
                r.ip = if alice {
                    "192.168.10.21".into()
                } else {
                    "192.168.10.34".into()
                };
                r.ua = KUBECTL_UA;
                r.ns = rng.pick(&NAMESPACES[..3]).to_string();
                let x = rng.below(100);
                if x < 30 {
                    r.verb = "list";
                    r.resource = *rng.pick(&["pods", "deployments", "services", "configmaps"]);
                    if r.resource == "deployments" {
                        r.group = "apps";
                    }
                    r.query = "?limit=500".into();
                    r.resp_body = Some(body(rng, scale, "List", "v1", &r.ns, "", 5000, 30_000));
                    if r.resource == "configmaps" {
                        r.level = "Metadata";
                        r.resp_body = None;
                    }
                } else if x < 50 {
                    r.verb = "get";
                    r.resource = "pods";
                    r.name = pod_name(rng);
                    r.resp_body = Some(body(rng, scale, "Pod", "v1", &r.ns, &r.name, 4000, 3000));
                } else if x < 60 {
                    r.verb = "get";
                    r.resource = "pods";
                    r.sub = "log";
                    r.name = pod_name(rng);
                    r.query = "?container=app&tailLines=100".into();
                    r.level = "Metadata";
                } else if x < 70 {
                    r.verb = if rng.chance(0.5) { "get" } else { "list" };
                    r.resource = "secrets";
                    r.level = "Metadata";
                    if r.verb == "get" {
                        r.name = format!("{}-credentials", rng.pick(APPS));
                    }
                    if alice {
                        r.code = 403;
                        r.reason = "Forbidden";
                    }
                } else if x < 78 {
                    r.verb = "create";
                    r.resource = "pods";
                    r.sub = "exec";
                    r.name = pod_name(rng);
                    r.query = "?command=sh&container=app&stdin=true&stdout=true&tty=true".into();
                    r.code = 101;
                    r.started = true;
                    r.level = "Metadata";
                    r.latency_us = (5 + rng.below(900)) as i64 * 1_000_000;
                    if alice && r.ns == "payments" {
                        r.code = 403;
                        r.reason = "Forbidden";
                        r.started = false;
                        r.latency_us = 2000;
                    }
                } else if x < 82 {
                    r.verb = "create";
                    r.resource = "pods";
                    r.sub = "portforward";
                    r.name = pod_name(rng);
                    r.code = 101;
                    r.started = true;
                    r.level = "Metadata";
                    r.latency_us = (10 + rng.below(1200)) as i64 * 1_000_000;
                } else if x < 92 {
                    r.verb = "patch";
                    r.group = "apps";
                    r.resource = "deployments";
                    r.name = rng.pick(APPS).to_string();
                    r.query =
                        "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict".into();
                    r.req_body = Some(body(
                        rng,
                        scale,
                        "Deployment",
                        "apps/v1",
                        &r.ns,
                        &r.name,
                        1200,
                        0,
                    ));
                    r.resp_body = Some(body(
                        rng,
                        scale,
                        "Deployment",
                        "apps/v1",
                        &r.ns,
                        &r.name,
                        5000,
                        3000,
                    ));
                } else if x < 96 {
                    r.verb = "delete";
                    r.resource = "pods";
                    r.name = pod_name(rng);
                    r.req_body = Some(r#"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}"#.into());
                    r.resp_body = Some(body(rng, scale, "Pod", "v1", &r.ns, &r.name, 4500, 0));
                } else {
                    // Bob impersonates a service account to check its permissions.
                    r.verb = "list";
                    r.resource = "pods";
                    r.query = "?limit=500".into();
                    r.imp = Some((
                        "system:serviceaccount:shop:web",
                        r#"["system:serviceaccounts","system:serviceaccounts:shop","system:authenticated"]"#,
                    ));
                    r.resp_body = Some(body(rng, scale, "List", "v1", &r.ns, "", 8000, 0));
                }
            }
            Actor::Deployer => {
                r.user = "system:serviceaccount:ci:deployer".into();
                r.groups = r#"["system:serviceaccounts","system:serviceaccounts:ci","system:authenticated"]"#;
                r.ip = "172.16.4.9".into();
                r.ua = HELM_UA;
                r.ns = rng.pick(&NAMESPACES[..3]).to_string();
                let x = rng.below(100);
                if x < 40 {
                    r.verb = "update";
                    r.group = "apps";
                    r.resource = "deployments";
                    r.name = rng.pick(APPS).to_string();
                    let b = body(
                        rng,
                        scale,
                        "Deployment",
                        "apps/v1",
                        &r.ns,
                        &r.name,
                        6000,
                        4000,
                    );
                    r.req_body = Some(b.clone());
                    r.resp_body = Some(b);
                } else if x < 70 {
                    r.verb = "create";
                    r.resource = "configmaps";
                    r.name = format!("{}-config-{:x}", rng.pick(APPS), rng.below(0xffff));
                    r.code = 201;
                    r.level = "Metadata";
                } else if x < 85 {
                    r.verb = "update";
                    r.resource = "secrets";
                    r.name = format!("{}-credentials", rng.pick(APPS));
                    r.level = "Metadata";
                } else {
                    r.verb = "create";
                    r.group = "rbac.authorization.k8s.io";
                    r.resource = "rolebindings";
                    r.name = format!("{}-edit", rng.pick(APPS));
                    r.code = if rng.chance(0.3) { 409 } else { 201 };
                    if r.code == 409 {
                        r.reason = "AlreadyExists";
                    }
                    let b = body(
                        rng,
                        scale,
                        "RoleBinding",
                        "rbac.authorization.k8s.io/v1",
                        &r.ns,
                        &r.name,
                        700,
                        0,
                    );
                    r.req_body = Some(b.clone());
                    r.resp_body = Some(b);
                }
            }
            Actor::Anonymous => {
                r.user = "system:anonymous".into();
                r.groups = r#"["system:unauthenticated"]"#;
                r.ip = format!("203.0.113.{}", 1 + rng.below(250));
                r.ua = *rng.pick(&[CURL_UA, "kube-probe/1.30", "Go-http-client/1.1"]);
                r.level = "Metadata";
                let x = rng.below(100);
                if x < 70 {
                    r.verb = "get";
                    r.path = *rng.pick(&["/healthz", "/livez", "/readyz", "/version"]);
                } else if x < 85 {
                    r.verb = "get";
                    r.path = *rng.pick(&["/", "/api", "/apis", "/.env", "/metrics"]);
                    r.code = 403;
                    r.reason = "Forbidden";
                } else {
                    r.verb = "list";
                    r.resource = "secrets";
                    r.ns = "kube-system".into();
                    r.code = 403;
                    r.reason = "Forbidden";
                }
            }
        }
        if r.code >= 400 {
            r.req_body = None;
            r.resp_body = Some(format!(
                r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"{} \"{}\" is forbidden","reason":"{}","code":{}}}"#,
                r.resource, r.name, r.reason, r.code
            ));
        }
        if r.level == "Metadata" {
            r.req_body = None;
            r.resp_body = None;
        } else if r.level == "Request" {
            r.resp_body = None;
        }
        if r.started {
            r.resp_body = None;
        }
        r
    }

    /// Writes the stages of one request; returns the events flushed meanwhile.
    fn emit(&mut self, r: &Req, t: i64) -> u64 {
        let id = self.rng.uuid();
        let mut stages: Vec<(&str, i64)> = Vec::with_capacity(3);
        if self.o.request_received {
            stages.push(("RequestReceived", t));
        }
        if r.started {
            stages.push(("ResponseStarted", t + 1000 + self.rng.below(5000) as i64));
        }
        stages.push(("ResponseComplete", t + r.latency_us.max(1)));
        for (stage, st) in stages {
            let line = self.line(r, &id, stage, t, st);
            self.seq += 1;
            self.pending.push(Reverse((st, self.seq, line)));
        }
        0
    }

    fn line(&mut self, r: &Req, id: &str, stage: &str, t: i64, st: i64) -> String {
        let s = &mut self.out;
        s.clear();
        let uri = if r.resource.is_empty() {
            r.path.to_string()
        } else {
            let mut p = String::new();
            crate::store::derive_path(
                &mut p, r.group, r.version, &r.ns, r.resource, &r.name, r.sub,
            );
            p.push_str(&r.query);
            p
        };
        let _ = write!(
            s,
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{}","auditID":"{id}","stage":"{stage}","requestURI":"{uri}","verb":"{}","user":{{"username":"{}","groups":{}}},"#,
            r.level, r.verb, r.user, r.groups
        );
        if let Some((u, g)) = r.imp {
            let _ = write!(
                s,
                r#""impersonatedUser":{{"username":"{u}","groups":{g}}},"#
            );
        }
        let _ = write!(s, r#""sourceIPs":["{}"],"userAgent":"{}","#, r.ip, r.ua);
        if !r.resource.is_empty() {
            let _ = write!(s, r#""objectRef":{{"resource":"{}""#, r.resource);
            if !r.ns.is_empty() {
                let _ = write!(s, r#","namespace":"{}""#, r.ns);
            }
            if !r.name.is_empty() {
                let _ = write!(s, r#","name":"{}""#, r.name);
            }
            if !r.group.is_empty() {
                let _ = write!(s, r#","apiGroup":"{}""#, r.group);
            }
            let _ = write!(s, r#","apiVersion":"{}""#, r.version);
            if !r.sub.is_empty() {
                let _ = write!(s, r#","subresource":"{}""#, r.sub);
            }
            s.push_str("},");
        }
        if stage != "RequestReceived" {
            if r.code >= 400 {
                let _ = write!(
                    s,
                    r#""responseStatus":{{"metadata":{{}},"status":"Failure","reason":"{}","code":{}}},"#,
                    r.reason, r.code
                );
            } else {
                let _ = write!(
                    s,
                    r#""responseStatus":{{"metadata":{{}},"code":{}}},"#,
                    r.code
                );
            }
        }
        if let Some(b) = &r.req_body {
            let _ = write!(s, r#""requestObject":{b},"#);
        }
        if stage == "ResponseComplete" {
            if let Some(b) = &r.resp_body {
                let _ = write!(s, r#""responseObject":{b},"#);
            }
        }
        let decision = if r.code == 403 { "forbid" } else { "allow" };
        let reason = if r.code == 403 || r.user.starts_with("system:node:") {
            String::new()
        } else {
            format!(
                r#"RBAC: allowed by ClusterRoleBinding \"{}\" of ClusterRole \"{}\" to User \"{}\""#,
                "system:basic-user", "cluster-admin", r.user
            )
        };
        let _ = write!(
            s,
            r#""requestReceivedTimestamp":"{}","stageTimestamp":"{}","annotations":{{"authorization.k8s.io/decision":"{decision}","authorization.k8s.io/reason":"{reason}"}}}}"#,
            format_rfc3339_micros(t),
            format_rfc3339_micros(st)
        );
        s.push('\n');
        s.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(o: &GenOptions) -> Vec<u8> {
        let mut v = Vec::new();
        generate(o, &mut |b| v.extend_from_slice(b));
        v
    }

    #[test]
    fn deterministic() {
        let o = GenOptions {
            duration_s: 120,
            ..Default::default()
        };
        assert_eq!(gen(&o), gen(&o));
        let o2 = GenOptions {
            seed: 8,
            ..o.clone()
        };
        assert_ne!(gen(&o), gen(&o2));
    }

    #[test]
    fn every_line_is_json_and_in_stage_time_order() {
        let v = gen(&GenOptions {
            duration_s: 600,
            ..Default::default()
        });
        let mut last = String::new();
        let mut n = 0;
        for line in v.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let j: serde_json::Value = serde_json::from_slice(line).expect("valid JSON");
            let st = j["stageTimestamp"].as_str().unwrap().to_string();
            assert!(st >= last, "{st} < {last}");
            last = st;
            n += 1;
        }
        assert!(n > 1000, "{n}");
    }

    #[test]
    fn byte_limit_is_respected_roughly() {
        let v = gen(&GenOptions {
            duration_s: 0,
            max_bytes: 2_000_000,
            ..Default::default()
        });
        assert!(v.len() >= 2_000_000 && v.len() < 4_000_000, "{}", v.len());
    }
}
