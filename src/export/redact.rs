//! Redacted exports (issue 16 §4): the events stay valid audit events (same kind,
//! apiVersion, auditID, stage, verb, objectRef.resource/subresource/apiGroup, codes,
//! timestamps, levels) while what would let a reader act as someone or name someone is
//! replaced.
//!
//! **Replaced** (counted by kind in [`Summary::changed`]):
//! - `secret-data`: the values of a Secret's `data` (by base64 of `REDACTED`, so the object
//!   stays a valid Secret) and `stringData`, in request and response objects, list items,
//!   JSON patches on secrets and the `kubectl.kubernetes.io/last-applied-configuration`
//!   copy of an object;
//! - `token`: TokenReview `spec.token`, TokenRequest `status.token`, `Bearer`/`Basic`
//!   credentials, the `credential-id` a service-account token carries in `user.extra`;
//! - `csr`: CertificateSigningRequest `spec.request` and `status.certificate`;
//! - `credential-field`: a string field whose key names a credential (`password`,
//!   `apiKey`, `client-secret`, `Authorization`, … — the words of
//!   [`crate::ingest::facts::credential_key`]), or an env var (`name`/`value`) whose name does;
//! - inside any other string: `private-key` and `certificate` (PEM blocks), `jwt`
//!   (`eyJ….eyJ….…`), `aws-key` (`AKIA…`), `vcs-token` (GitHub `ghp_…`/`github_pat_…`,
//!   GitLab `glpat-…`, Slack `xox?-…`), `url-credential` (`scheme://user:pass@`),
//!   `assignment` (`password=…`, `token: …`, `client-key-data: …` as in query strings,
//!   properties and kubeconfig files).
//!
//! **Pseudonymized**, the same original always giving the same pseudonym within an export
//! (keyed by HMAC-SHA256 with a user-held key: the same across exports), wherever it
//! appears — the identity fields, `objectRef` and the request path of `users`, `groups`,
//! `serviceaccounts` and `nodes`, binding subjects, SubjectAccessReview/TokenReview/CSR
//! users, annotations (the RBAC reason), response messages and any string of a body:
//! `user` (`user-…`), `group` (`group-…`), `serviceaccount` (the name:
//! `system:serviceaccount:NS:sa-…`), `node` (`system:node:node-…`), `uid` (user uids),
//! `ip` (addresses from the documentation ranges RFC 5737 — 192.0.2.0/24, 198.51.100.0/24,
//! 203.0.113.0/24 — and RFC 3849 `2001:db8::/32`; loopback and unspecified kept), and with
//! [`Options::names`] also `namespace` (`ns-…`) and `name` (`name-…`).
//!
//! **Kept**: Kubernetes' own fixed identities, which name no one — the users and groups of
//! k8s.io/apiserver `pkg/authentication/user/user.go` (`system:masters`, `system:nodes`,
//! `system:monitoring`, `system:authenticated`, `system:unauthenticated`,
//! `system:anonymous`, `system:apiserver`, `system:kube-proxy`,
//! `system:kube-controller-manager`, `system:kube-scheduler`), `system:serviceaccounts`
//! (k8s.io/apiserver `pkg/authentication/serviceaccount`: `AllServiceAccountsGroup`),
//! `system:serviceaccounts:NS` (its namespace pseudonymized with names), the bootstrap
//! token groups `system:bootstrappers[:…]` and OpenShift's `system:authenticated:oauth`.
//!
//! Not touched: object names of other kinds (RBAC roles and bindings, ConfigMaps, …) without
//! [`Options::names`], `managedFields`, user agents (only credential patterns in them), and
//! the loaded files' names (a CSV's `file` column, the JSON lines side file).
//!
//! Two passes: [`Redactor::observe`] every event first (so an annotation naming a user
//! seen only in a later event is still caught), then [`Redactor::redact`] each.
//! Without a key, pseudonyms are numbered in the order of first appearance.

use crate::ingest::facts::credential_key;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What to pseudonymize beyond identities, and the key that makes pseudonyms stable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// HMAC-SHA256 key; `None`: per-export numbering.
    pub key: Option<Vec<u8>>,
    /// Namespaces and object names too.
    pub names: bool,
}

/// What was changed: replaced values by kind, and distinct pseudonyms by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub changed: BTreeMap<String, u64>,
    pub distinct: BTreeMap<String, u64>,
    pub events: u64,
}

impl Summary {
    /// One line per kind: `user: 12 values (3 distinct)`.
    pub fn lines(&self) -> Vec<String> {
        self.changed
            .iter()
            .map(|(k, n)| match self.distinct.get(k) {
                Some(d) => format!("{k}: {n} values ({d} distinct)"),
                None => format!("{k}: {n} values"),
            })
            .collect()
    }
}

/// The replacement of secret strings.
pub const REDACTED: &str = "REDACTED";
/// base64 of `REDACTED`: a Secret's `data` and a CSR's bytes stay base64.
pub const REDACTED_B64: &str = "UkVEQUNURUQ=";

const KEPT_USERS: &[&str] = &[
    "system:anonymous",
    "system:apiserver",
    "system:kube-proxy",
    "system:kube-controller-manager",
    "system:kube-scheduler",
];
const KEPT_GROUPS: &[&str] = &[
    "system:masters",
    "system:nodes",
    "system:monitoring",
    "system:authenticated",
    "system:unauthenticated",
    "system:serviceaccounts",
    "system:bootstrappers",
    "system:authenticated:oauth",
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    User,
    Group,
    Sa,
    Node,
    Uid,
    Ip,
    Ns,
    Name,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Sa => "serviceaccount",
            Kind::Node => "node",
            Kind::Uid => "uid",
            Kind::Ip => "ip",
            Kind::Ns => "namespace",
            Kind::Name => "name",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Sa => "sa",
            Kind::Node => "node",
            Kind::Uid => "uid",
            Kind::Ip => "ip",
            Kind::Ns => "ns",
            Kind::Name => "name",
        }
    }
}

/// The redactor of one export: its pseudonym tables and counts.
pub struct Redactor {
    opts: Options,
    maps: HashMap<(Kind, String), String>,
    numbers: HashMap<Kind, u64>,
    ip_slots: HashSet<u32>,
    v4_overflow: u64,
    /// Originals made of identifier characters → pseudonym (looked up per word).
    words: HashMap<String, String>,
    /// Other originals (`alice@example.com`, `name/ns`), longest first when applied.
    phrases: Vec<(String, String)>,
    changed: BTreeMap<String, u64>,
    events: u64,
}

/// Characters a name is made of: a word of a string is a maximal run of them.
fn ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// Where the event's object lives: its resource and subresource.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    resource: &'a str,
    subresource: &'a str,
    /// `objectRef.namespace` (a body's own namespace is often left out).
    ns: &'a str,
}

impl Redactor {
    pub fn new(opts: Options) -> Self {
        Redactor {
            opts,
            maps: HashMap::new(),
            numbers: HashMap::new(),
            ip_slots: HashSet::new(),
            v4_overflow: 0,
            words: HashMap::new(),
            phrases: Vec::new(),
            changed: BTreeMap::new(),
            events: 0,
        }
    }

    /// First pass: learns the identities of one event (nothing is output or counted).
    pub fn observe(&mut self, event: &[u8]) {
        let saved = (std::mem::take(&mut self.changed), self.events);
        let _ = self.redact(event);
        self.changed = saved.0;
        self.events = saved.1;
    }

    /// Second pass: the event redacted, compacted onto one line.
    pub fn redact(&mut self, event: &[u8]) -> Result<String, String> {
        let mut v: Value =
            serde_json::from_slice(event).map_err(|e| format!("not a JSON event: {e}"))?;
        let Value::Object(ev) = &mut v else {
            return Err("not a JSON object".into());
        };
        self.event(ev);
        self.events += 1;
        serde_json::to_string(&v).map_err(|e| e.to_string())
    }

    /// What was changed so far.
    pub fn summary(&self) -> Summary {
        let mut distinct: BTreeMap<String, u64> = BTreeMap::new();
        for (k, _) in self.maps.keys() {
            *distinct.entry(k.key().to_string()).or_default() += 1;
        }
        distinct.retain(|k, _| self.changed.contains_key(k));
        Summary {
            changed: self.changed.clone(),
            distinct,
            events: self.events,
        }
    }

    fn count(&mut self, kind: &str) {
        *self.changed.entry(kind.to_string()).or_default() += 1;
    }

    fn hmac(&self, kind: Kind, v: &str) -> Option<[u8; 32]> {
        let key = self.opts.key.as_ref()?;
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
        m.update(kind.key().as_bytes());
        m.update(&[0]);
        m.update(v.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&m.finalize().into_bytes());
        Some(out)
    }

    /// The pseudonym of `v` as a `kind`, made on first sight.
    fn pseudonym(&mut self, kind: Kind, v: &str) -> String {
        if let Some(p) = self.maps.get(&(kind, v.to_string())) {
            return p.clone();
        }
        let p = match kind {
            Kind::Ip => self.ip_pseudonym(v),
            Kind::Uid => match (self.hmac(kind, v), crate::util::parse_uuid(v)) {
                (Some(h), Some(_)) => {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(&h[..16]);
                    crate::util::format_uuid(u128::from_be_bytes(b))
                }
                (None, Some(_)) => {
                    let n = self.next(kind);
                    crate::util::format_uuid(n as u128)
                }
                (Some(h), None) => format!("uid-{}", hex(&h[..5])),
                (None, None) => format!("uid-{}", self.next(kind)),
            },
            _ => match self.hmac(kind, v) {
                Some(h) => format!("{}-{}", kind.prefix(), hex(&h[..5])),
                None => format!("{}-{}", kind.prefix(), self.next(kind)),
            },
        };
        self.maps.insert((kind, v.to_string()), p.clone());
        if kind != Kind::Uid && !v.is_empty() {
            self.target(v, &p);
        }
        p
    }

    fn next(&mut self, kind: Kind) -> u64 {
        let n = self.numbers.entry(kind).or_default();
        *n += 1;
        *n
    }

    /// Registers `orig → p` for the replacement inside free text.
    fn target(&mut self, orig: &str, p: &str) {
        if orig.chars().all(ident) {
            self.words
                .entry(orig.to_string())
                .or_insert_with(|| p.to_string());
        } else if !self.phrases.iter().any(|(o, _)| o == orig) {
            self.phrases.push((orig.to_string(), p.to_string()));
            self.phrases.sort_by_key(|b| std::cmp::Reverse(b.0.len()));
        }
    }

    fn ip_pseudonym(&mut self, v: &str) -> String {
        match v.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => {
                const POOL: u32 = 3 * 254;
                let start = match self.hmac(Kind::Ip, v) {
                    Some(h) => u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % POOL,
                    None => 0,
                };
                let free = (0..POOL)
                    .map(|i| (start + i) % POOL)
                    .find(|s| !self.ip_slots.contains(s));
                match free {
                    Some(s) => {
                        self.ip_slots.insert(s);
                        let net: [u8; 3] = match s / 254 {
                            0 => [192, 0, 2],
                            1 => [198, 51, 100],
                            _ => [203, 0, 113],
                        };
                        Ipv4Addr::new(net[0], net[1], net[2], (s % 254 + 1) as u8).to_string()
                    }
                    None => {
                        // More distinct IPv4 addresses than the documentation ranges hold.
                        self.v4_overflow += 1;
                        Ipv6Addr::new(
                            0x2001,
                            0xdb8,
                            0xffff,
                            0,
                            0,
                            0,
                            (self.v4_overflow >> 16) as u16,
                            self.v4_overflow as u16,
                        )
                        .to_string()
                    }
                }
            }
            _ => {
                let g: [u16; 5] = match self.hmac(Kind::Ip, v) {
                    Some(h) => [
                        u16::from_be_bytes([h[0], h[1]]) & 0x7fff,
                        u16::from_be_bytes([h[2], h[3]]),
                        u16::from_be_bytes([h[4], h[5]]),
                        u16::from_be_bytes([h[6], h[7]]),
                        u16::from_be_bytes([h[8], h[9]]),
                    ],
                    None => {
                        let n = self.next(Kind::Ip);
                        [0, 0, 0, (n >> 16) as u16, n as u16]
                    }
                };
                Ipv6Addr::new(0x2001, 0xdb8, g[0], 0, g[1], g[2], g[3], g[4]).to_string()
            }
        }
    }

    /// An IP address as a pseudonym (loopback and unspecified kept); `None` when `v` is
    /// not an address.
    fn ip(&mut self, v: &str) -> Option<String> {
        let a: IpAddr = v.parse().ok()?;
        if a.is_loopback() || a.is_unspecified() {
            return Some(v.to_string());
        }
        self.count("ip");
        Some(self.pseudonym(Kind::Ip, v))
    }

    /// A user name: `system:serviceaccount:NS:NAME`, `system:node:NAME`, a kept
    /// built-in, or any other user.
    fn user(&mut self, u: &str) -> String {
        if u.is_empty() || KEPT_USERS.contains(&u) {
            return u.to_string();
        }
        if let Some(rest) = u.strip_prefix("system:serviceaccount:") {
            if let Some((ns, name)) = rest.split_once(':') {
                let p = format!("system:serviceaccount:{}", self.sa(ns, name));
                self.target(u, &p);
                return p;
            }
        }
        if let Some(node) = u.strip_prefix("system:node:") {
            let p = format!("system:node:{}", self.node(node));
            self.target(u, &p);
            return p;
        }
        self.count("user");
        self.pseudonym(Kind::User, u)
    }

    /// A service account `NS`/`NAME`: `NS':sa-…` (`name/ns` of the RBAC reason too).
    fn sa(&mut self, ns: &str, name: &str) -> String {
        self.count("serviceaccount");
        let pn = self.pseudonym(Kind::Sa, &format!("{ns}/{name}"));
        // Only the full forms are looked for in text: a short name (`default`) is a word.
        self.words.remove(&format!("{ns}/{name}"));
        self.phrases.retain(|(o, _)| o != &format!("{ns}/{name}"));
        let pns = self.namespace(ns);
        self.target(&format!("{name}/{ns}"), &format!("{pn}/{pns}"));
        self.target(
            &format!("system:serviceaccount:{ns}:{name}"),
            &format!("system:serviceaccount:{pns}:{pn}"),
        );
        format!("{pns}:{pn}")
    }

    fn node(&mut self, n: &str) -> String {
        if n.is_empty() {
            return String::new();
        }
        self.count("node");
        if let Some(p) = self.ip(n) {
            return p;
        }
        let p = self.pseudonym(Kind::Node, n);
        self.target(&format!("system:node:{n}"), &format!("system:node:{p}"));
        p
    }

    fn group(&mut self, g: &str) -> String {
        if g.is_empty() || KEPT_GROUPS.contains(&g) || g.starts_with("system:bootstrappers:") {
            return g.to_string();
        }
        if let Some(ns) = g.strip_prefix("system:serviceaccounts:") {
            let p = format!("system:serviceaccounts:{}", self.namespace(ns));
            if p != g {
                self.target(g, &p);
            }
            return p;
        }
        self.count("group");
        self.pseudonym(Kind::Group, g)
    }

    fn namespace(&mut self, ns: &str) -> String {
        if !self.opts.names || ns.is_empty() {
            return ns.to_string();
        }
        self.count("namespace");
        self.pseudonym(Kind::Ns, ns)
    }

    fn name(&mut self, n: &str) -> String {
        if !self.opts.names || n.is_empty() {
            return n.to_string();
        }
        self.count("name");
        self.pseudonym(Kind::Name, n)
    }

    fn uid(&mut self, u: &str) -> String {
        if u.is_empty() {
            return String::new();
        }
        self.count("uid");
        self.pseudonym(Kind::Uid, u)
    }

    /// The object name of `resource` in `ns` as its kind of identity.
    fn object_name(&mut self, resource: &str, ns: &str, name: &str) -> String {
        match resource {
            "serviceaccounts" if !ns.is_empty() && !name.is_empty() => self
                .sa(ns, name)
                .rsplit(':')
                .next()
                .unwrap_or("")
                .to_string(),
            "nodes" => self.node(name),
            "users" => self.user(name),
            "groups" => self.group(name),
            "uids" => self.uid(name),
            _ => self.name(name),
        }
    }

    // ---------------------------------------------------------------------------------
    // The event.
    // ---------------------------------------------------------------------------------

    fn event(&mut self, ev: &mut Map<String, Value>) {
        for k in ["user", "impersonatedUser"] {
            if let Some(Value::Object(u)) = ev.get_mut(k) {
                self.user_info(u, "username", "groups");
            }
        }
        if let Some(Value::Array(ips)) = ev.get_mut("sourceIPs") {
            for ip in ips.iter_mut() {
                if let Value::String(s) = ip {
                    if let Some(p) = self.ip(s) {
                        *s = p;
                    }
                }
            }
        }
        let (resource, subresource, ns, name) = match ev.get("objectRef") {
            Some(Value::Object(o)) => {
                let g = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                (g("resource"), g("subresource"), g("namespace"), g("name"))
            }
            _ => Default::default(),
        };
        let (pns, pname) = (
            if resource == "namespaces" {
                String::new()
            } else {
                self.namespace(&ns)
            },
            if resource == "namespaces" {
                self.namespace(&name)
            } else {
                self.object_name(&resource, &ns, &name)
            },
        );
        if let Some(Value::Object(o)) = ev.get_mut("objectRef") {
            if !ns.is_empty() && resource != "namespaces" {
                o.insert("namespace".into(), Value::String(pns.clone()));
            }
            if !name.is_empty() {
                o.insert("name".into(), Value::String(pname.clone()));
            }
            if let Some(Value::String(u)) = o.get_mut("uid") {
                if resource == "serviceaccounts" {
                    // A service account's uid is its users' `user.uid`.
                    *u = self.uid(u);
                }
            }
        }
        if let Some(Value::String(uri)) = ev.get_mut("requestURI") {
            let ns_seg = if resource == "namespaces" {
                (name.as_str(), pname.as_str())
            } else {
                (ns.as_str(), pns.as_str())
            };
            *uri = self.request_uri(uri, &resource, ns_seg, (&name, &pname));
        }
        let ctx = Ctx {
            resource: &resource,
            subresource: &subresource,
            ns: &ns,
        };
        for k in ["requestObject", "responseObject"] {
            if let Some(b) = ev.get_mut(k) {
                self.body(b, ctx, true);
            }
        }
        if let Some(Value::Object(a)) = ev.get_mut("annotations") {
            for (k, v) in a.iter_mut() {
                // The authorizer's decision is a value the engine reads.
                if k == "authorization.k8s.io/decision" {
                    continue;
                }
                if let Value::String(s) = v {
                    *s = self.text(s);
                }
            }
        }
        if let Some(Value::Object(st)) = ev.get_mut("responseStatus") {
            for k in ["message"] {
                if let Some(Value::String(s)) = st.get_mut(k) {
                    *s = self.text(s);
                }
            }
            if let Some(d) = st.get_mut("details") {
                self.body(d, ctx, false);
            }
        }
        if let Some(Value::String(s)) = ev.get_mut("userAgent") {
            *s = self.secrets_in(s);
        }
    }

    /// `username`, `uid`, `groups`, `extra` of a UserInfo (also a TokenReview's status
    /// user, a SubjectAccessReview's or CSR's spec, under their own key names).
    fn user_info(&mut self, u: &mut Map<String, Value>, user_key: &str, groups_key: &str) {
        if let Some(Value::String(s)) = u.get_mut(user_key) {
            *s = self.user(s);
        }
        if let Some(Value::String(s)) = u.get_mut("uid") {
            *s = self.uid(s);
        }
        if let Some(Value::Array(gs)) = u.get_mut(groups_key) {
            for g in gs.iter_mut() {
                if let Value::String(s) = g {
                    *s = self.group(s);
                }
            }
        }
        if let Some(Value::Object(extra)) = u.get_mut("extra") {
            for (k, vs) in extra.iter_mut() {
                let Value::Array(vs) = vs else { continue };
                for v in vs.iter_mut() {
                    let Value::String(s) = v else { continue };
                    *s = if k.ends_with("credential-id") {
                        self.count("token");
                        REDACTED.to_string()
                    } else if k.ends_with("/node-name") {
                        self.node(s)
                    } else if k.ends_with("/pod-name") {
                        self.name(s)
                    } else if k.ends_with("-uid") {
                        s.clone()
                    } else {
                        self.text(s)
                    };
                }
            }
        }
    }

    /// The request path: the segments naming the object replaced as `objectRef` was, the
    /// query's credentials and selectors' values.
    fn request_uri(
        &mut self,
        uri: &str,
        resource: &str,
        ns: (&str, &str),
        name: (&str, &str),
    ) -> String {
        let (path, query) = match uri.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (uri, None),
        };
        // `/api/v1/namespaces/NS/RESOURCE/NAME[/SUB]`, `/apis/G/V/...`: the segment after
        // `namespaces` and the one after the resource.
        let segs: Vec<&str> = path.split('/').collect();
        let mut out: Vec<String> = Vec::with_capacity(segs.len());
        for (i, s) in segs.iter().enumerate() {
            let prev = if i > 0 { segs[i - 1] } else { "" };
            let v = if prev == "namespaces" && *s == ns.0 && !ns.0.is_empty() {
                ns.1.to_string()
            } else if prev == resource && !resource.is_empty() && *s == name.0 && !name.0.is_empty()
            {
                name.1.to_string()
            } else {
                s.to_string()
            };
            out.push(v);
        }
        let mut r = out.join("/");
        if let Some(q) = query {
            r.push('?');
            let parts: Vec<String> = q
                .split('&')
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    if !v.is_empty() && credential_key(k, "x") {
                        self.count("url-credential");
                        format!("{k}={REDACTED}")
                    } else if k == "fieldSelector" || k == "labelSelector" {
                        // `metadata.name%3Dfoo,spec.nodeName%3Dn1`: each value.
                        format!("{k}={}", self.selector(v))
                    } else {
                        format!("{k}={}", self.secrets_in(v))
                    }
                })
                .collect();
            let joined = parts.join("&");
            // A key without `=` stays without it.
            let fixed: Vec<&str> = q.split('&').collect();
            let mut res = Vec::new();
            for (orig, new) in fixed.iter().zip(joined.split('&')) {
                if orig.contains('=') {
                    res.push(new.to_string());
                } else {
                    res.push(new.trim_end_matches('=').to_string());
                }
            }
            r.push_str(&res.join("&"));
        }
        r
    }

    fn selector(&mut self, v: &str) -> String {
        let decoded = v
            .replace("%3D", "=")
            .replace("%3d", "=")
            .replace("%2C", ",");
        let decoded = decoded.replace("%2c", ",").replace("%21", "!");
        let mut out = Vec::new();
        for term in decoded.split(',') {
            let (k, val) = match term.split_once("!=").or_else(|| term.split_once("==")) {
                Some((k, val)) => (k, val),
                None => term.split_once('=').unwrap_or((term, "")),
            };
            let op = &term[k.len()..term.len() - val.len()];
            let nv = match k {
                "spec.nodeName" => self.node(val),
                "metadata.namespace" => self.namespace(val),
                "spec.serviceAccountName" | "metadata.name" => self.name(val),
                _ => self.text(val),
            };
            out.push(format!("{k}{op}{nv}"));
        }
        out.join(",")
    }

    /// A request or response object (any depth): `top` for the object itself and the items
    /// of a list of it.
    fn body(&mut self, v: &mut Value, ctx: Ctx, top: bool) {
        match v {
            Value::Object(m) => self.object(m, ctx, top),
            Value::Array(a) => {
                let patch_on_secret = ctx.resource == "secrets";
                for x in a.iter_mut() {
                    if patch_on_secret {
                        if let Value::Object(op) = x {
                            if op.contains_key("op") {
                                let path = op
                                    .get("path")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string();
                                if path.starts_with("/data")
                                    || path.starts_with("/stringData")
                                    || path.contains("last-applied-configuration")
                                {
                                    if let Some(val) = op.get_mut("value") {
                                        self.secret_values(val, path.starts_with("/data"));
                                    }
                                    continue;
                                }
                            }
                        }
                    }
                    self.body(x, ctx, false);
                }
            }
            Value::String(s) => *s = self.text(s),
            _ => {}
        }
    }

    /// Every string under `v` replaced (base64 of `REDACTED` when `b64`).
    fn secret_values(&mut self, v: &mut Value, b64: bool) {
        match v {
            Value::String(s) => {
                self.count("secret-data");
                *s = if b64 { REDACTED_B64 } else { REDACTED }.to_string();
            }
            Value::Object(m) => {
                for (_, x) in m.iter_mut() {
                    self.secret_values(x, b64);
                }
            }
            Value::Array(a) => {
                for x in a.iter_mut() {
                    self.secret_values(x, b64);
                }
            }
            _ => {}
        }
    }

    fn object(&mut self, m: &mut Map<String, Value>, ctx: Ctx, top: bool) {
        let kind = m
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let of_resource = |r: &str| top && kind.is_empty() && ctx.resource == r;
        // Lists: the items are objects of the list's resource.
        if let Some(Value::Array(items)) = m.get_mut("items") {
            for it in items.iter_mut() {
                self.body(it, ctx, top);
            }
        }
        if kind == "Table" {
            if let Some(Value::Array(rows)) = m.get_mut("rows") {
                for row in rows.iter_mut() {
                    if let Value::Object(r) = row {
                        if let Some(o) = r.get_mut("object") {
                            self.body(o, ctx, top);
                        }
                        if let Some(Value::Array(cells)) = r.get_mut("cells") {
                            for c in cells.iter_mut() {
                                if let Value::String(s) = c {
                                    *s = self.text(s);
                                }
                            }
                        }
                    }
                }
            }
        }
        let secret = kind == "Secret" || (ctx.resource == "secrets" && top && kind.is_empty());
        if secret {
            if let Some(d) = m.get_mut("data") {
                self.secret_values(d, true);
            }
            if let Some(d) = m.get_mut("stringData") {
                self.secret_values(d, false);
            }
        }
        match kind.as_str() {
            "TokenReview" => {
                if let Some(Value::Object(spec)) = m.get_mut("spec") {
                    if let Some(Value::String(t)) = spec.get_mut("token") {
                        self.count("token");
                        *t = REDACTED.into();
                    }
                }
                if let Some(Value::Object(st)) = m.get_mut("status") {
                    if let Some(Value::Object(u)) = st.get_mut("user") {
                        self.user_info(u, "username", "groups");
                    }
                }
            }
            "SubjectAccessReview" | "LocalSubjectAccessReview" | "SelfSubjectAccessReview" => {
                if let Some(Value::Object(spec)) = m.get_mut("spec") {
                    self.user_info(spec, "user", "groups");
                }
            }
            _ => {}
        }
        if kind == "TokenRequest" || (ctx.subresource == "token" && top) {
            if let Some(Value::Object(st)) = m.get_mut("status") {
                if let Some(Value::String(t)) = st.get_mut("token") {
                    self.count("token");
                    *t = REDACTED.into();
                }
            }
        }
        if kind == "CertificateSigningRequest" || of_resource("certificatesigningrequests") {
            if let Some(Value::Object(spec)) = m.get_mut("spec") {
                if let Some(Value::String(t)) = spec.get_mut("request") {
                    self.count("csr");
                    *t = REDACTED_B64.into();
                }
                self.user_info(spec, "username", "groups");
            }
            if let Some(Value::Object(st)) = m.get_mut("status") {
                if let Some(Value::String(t)) = st.get_mut("certificate") {
                    self.count("csr");
                    *t = REDACTED_B64.into();
                }
            }
        }
        if let Some(Value::Array(subjects)) = m.get_mut("subjects") {
            for s in subjects.iter_mut() {
                let Value::Object(s) = s else { continue };
                let k = s
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let ns = s
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let Some(Value::String(n)) = s.get_mut("name") else {
                    continue;
                };
                let orig = n.clone();
                *n = match k.as_str() {
                    "User" => self.user(&orig),
                    "Group" => self.group(&orig),
                    "ServiceAccount" if !ns.is_empty() => self
                        .sa(&ns, &orig)
                        .rsplit(':')
                        .next()
                        .unwrap_or("")
                        .to_string(),
                    _ => self.text(&orig),
                };
                if let Some(Value::String(n)) = s.get_mut("namespace") {
                    *n = self.namespace(n);
                }
            }
        }
        // The object's own name: a service account, a node, or (with names) any object.
        let ns = m
            .get("metadata")
            .and_then(|x| x.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let res = match kind.as_str() {
            // A TokenRequest's metadata names its service account.
            "ServiceAccount" | "TokenRequest" => "serviceaccounts",
            "Node" => "nodes",
            "Namespace" => "namespaces",
            "" if top => ctx.resource,
            _ => "",
        }
        .to_string();
        let ns_eff = if ns.is_empty() && top {
            ctx.ns.to_string()
        } else {
            ns.clone()
        };
        if let Some(Value::Object(md)) = m.get_mut("metadata") {
            if let Some(Value::String(n)) = md.get_mut("name") {
                let orig = n.clone();
                *n = if res == "namespaces" {
                    self.namespace(&orig)
                } else if res == "serviceaccounts" && ns_eff.is_empty() {
                    self.text(&orig)
                } else {
                    self.object_name(&res, &ns_eff, &orig)
                };
            }
            if let Some(Value::String(n)) = md.get_mut("namespace") {
                *n = self.namespace(n);
            }
            if let Some(Value::String(n)) = md.get_mut("generateName") {
                *n = self.text(n);
            }
        }
        // Everything else, with credential keys and annotations' copies.
        let env_secret = m
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| credential_key(n, "x"))
            && m.get("value").is_some_and(Value::is_string);
        let ns_here = if ns.is_empty() {
            ctx.ns.to_string()
        } else {
            ns.clone()
        };
        for (k, v) in m.iter_mut() {
            match k.as_str() {
                "items" | "rows" | "subjects" | "kind" | "apiVersion" | "managedFields" => continue,
                "data" | "stringData" if secret => continue,
                "metadata" => {
                    if let Value::Object(md) = v {
                        for (mk, mv) in md.iter_mut() {
                            match mk.as_str() {
                                "name" | "namespace" | "generateName" | "managedFields" | "uid"
                                | "resourceVersion" | "creationTimestamp" => {}
                                "annotations" => {
                                    if let Value::Object(a) = mv {
                                        for (ak, av) in a.iter_mut() {
                                            if ak == "kubectl.kubernetes.io/last-applied-configuration" {
                                                self.last_applied(av, ctx);
                                            } else {
                                                self.body(av, ctx, false);
                                            }
                                        }
                                    }
                                }
                                _ => self.body(mv, ctx, false),
                            }
                        }
                    }
                    continue;
                }
                _ => {}
            }
            if let Value::String(s) = v {
                if k == "value" && env_secret {
                    self.count("credential-field");
                    *s = REDACTED.into();
                    continue;
                }
                if !s.is_empty() && s != REDACTED && (credential_key(k, "x") || auth_header(k)) {
                    self.count("credential-field");
                    *s = REDACTED.into();
                    continue;
                }
                if let Some(p) = self.ip(s) {
                    *s = p;
                    continue;
                }
                if let Some(p) = match k.as_str() {
                    "nodeName" => Some(self.node(s)),
                    "serviceAccountName" | "serviceAccount"
                        if !ns_here.is_empty() && !s.is_empty() =>
                    {
                        Some(
                            self.sa(&ns_here, s)
                                .rsplit(':')
                                .next()
                                .unwrap_or("")
                                .to_string(),
                        )
                    }
                    "namespace" => Some(self.namespace(s)),
                    _ => None,
                } {
                    *s = p;
                    continue;
                }
                *s = self.text(s);
            } else {
                self.body(v, ctx, false);
            }
        }
    }

    /// `kubectl apply`'s copy of the object: redacted as the object, else replaced.
    fn last_applied(&mut self, v: &mut Value, ctx: Ctx) {
        let Value::String(s) = v else { return };
        match serde_json::from_str::<Value>(s) {
            Ok(mut inner) => {
                self.body(&mut inner, ctx, true);
                let t = serde_json::to_string(&inner).unwrap_or_default();
                if t.len() + 1 == s.len() && s.ends_with('\n') {
                    *s = t + "\n";
                } else {
                    *s = t;
                }
            }
            Err(_) => {
                self.count("secret-data");
                *s = REDACTED.into();
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // Free text.
    // ---------------------------------------------------------------------------------

    /// A string of free text: credentials, then known identities and IPv4 addresses.
    fn text(&mut self, s: &str) -> String {
        let s = self.secrets_in(s);
        self.identities_in(&s)
    }

    /// Known originals replaced as words (or as phrases), IPv4 addresses anywhere.
    fn identities_in(&mut self, s: &str) -> String {
        let mut s = s.to_string();
        if !self.phrases.is_empty() {
            for i in 0..self.phrases.len() {
                let (o, p) = &self.phrases[i];
                if s.contains(o.as_str()) {
                    s = replace_bounded(&s, o, p);
                }
            }
        }
        let mut out = String::with_capacity(s.len());
        let mut word = String::new();
        let flush = |me: &mut Self, word: &mut String, out: &mut String| {
            if word.is_empty() {
                return;
            }
            if let Some(p) = me.words.get(word.as_str()) {
                out.push_str(p);
            } else if word.contains('.') && word.bytes().any(|b| b.is_ascii_digit()) {
                out.push_str(&me.ipv4_in(word));
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in s.chars() {
            if ident(c) {
                word.push(c);
            } else {
                flush(self, &mut word, &mut out);
                out.push(c);
            }
        }
        flush(self, &mut word, &mut out);
        out
    }

    /// Dotted quads inside a word (`10.0.0.1`, `10.0.0.1:443`, `10.0.0.0/8` is two words).
    fn ipv4_in(&mut self, w: &str) -> String {
        let mut out = String::new();
        let b = w.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                let cand = w[i..j].trim_end_matches('.');
                let end = i + cand.len();
                if cand.parse::<Ipv4Addr>().is_ok()
                    && (end == b.len() || !b[end].is_ascii_alphanumeric())
                {
                    if let Some(p) = self.ip(cand) {
                        out.push_str(&p);
                        i = end;
                        continue;
                    }
                }
                out.push_str(&w[i..j]);
                i = j;
                continue;
            }
            let c = w[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
        out
    }

    /// Credentials inside a string, by pattern.
    fn secrets_in(&mut self, s: &str) -> String {
        if s.len() < 8 {
            return s.to_string();
        }
        let mut t = self.pem(s);
        for (prefix, min, kind, extra) in TOKEN_PATTERNS {
            if t.contains(prefix) {
                t = self.prefixed(&t, prefix, *min, kind, extra);
            }
        }
        if t.contains("eyJ") {
            t = self.jwt(&t);
        }
        if t.contains("AKIA") || t.contains("ASIA") {
            t = self.aws(&t);
        }
        if t.contains("://") {
            t = self.userinfo(&t);
        }
        t = self.bearer(&t);
        self.assignments(&t)
    }

    fn pem(&mut self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("-----BEGIN ") {
            out.push_str(&rest[..i]);
            let block = &rest[i..];
            let label_end = block[11..].find("-----").map(|e| 11 + e);
            let label = label_end.map_or("", |e| &block[11..e]).to_string();
            let end = block
                .find("-----END ")
                .and_then(|e| block[e + 9..].find("-----").map(|x| e + 9 + x + 5))
                .unwrap_or(block.len());
            self.count(if label.contains("PRIVATE KEY") {
                "private-key"
            } else {
                "certificate"
            });
            out.push_str(&format!(
                "-----BEGIN {label}-----\n{REDACTED}\n-----END {label}-----"
            ));
            rest = &block[end..];
        }
        out.push_str(rest);
        out
    }

    fn prefixed(&mut self, s: &str, prefix: &str, min: usize, kind: &str, extra: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(prefix) {
            let before_ok = rest[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            let tail = &rest[i + prefix.len()..];
            let n = tail
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || extra.as_bytes().contains(b))
                .count();
            out.push_str(&rest[..i]);
            if before_ok && n >= min {
                self.count(kind);
                out.push_str(prefix);
                out.push_str(REDACTED);
                rest = &tail[n..];
            } else {
                out.push_str(prefix);
                rest = tail;
            }
        }
        out.push_str(rest);
        out
    }

    fn jwt(&mut self, s: &str) -> String {
        let b64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("eyJ") {
            let tail = &rest.as_bytes()[i..];
            let mut j = 0;
            let mut dots = 0;
            while j < tail.len() && (b64url(tail[j]) || (tail[j] == b'.' && dots < 2)) {
                if tail[j] == b'.' {
                    dots += 1;
                }
                j += 1;
            }
            out.push_str(&rest[..i]);
            if dots >= 1 && j >= 16 {
                self.count("jwt");
                out.push_str("REDACTED.JWT");
                rest = &rest[i + j..];
            } else {
                out.push_str("eyJ");
                rest = &rest[i + 3..];
            }
        }
        out.push_str(rest);
        out
    }

    fn aws(&mut self, s: &str) -> String {
        let mut t = s.to_string();
        for p in ["AKIA", "ASIA"] {
            let mut out = String::new();
            let mut rest = t.as_str();
            while let Some(i) = rest.find(p) {
                let tail = &rest[i + 4..];
                let n = tail
                    .bytes()
                    .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                    .count();
                out.push_str(&rest[..i]);
                if n >= 16 {
                    self.count("aws-key");
                    out.push_str("AKIAREDACTED");
                    rest = &tail[n..];
                } else {
                    out.push_str(p);
                    rest = tail;
                }
            }
            out.push_str(rest);
            t = out;
        }
        t
    }

    /// `scheme://user:password@host`: the user information replaced.
    fn userinfo(&mut self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("://") {
            out.push_str(&rest[..i + 3]);
            let tail = &rest[i + 3..];
            let auth_end = tail
                .find(['/', ' ', '"', '\'', '\n', '?', '#'])
                .unwrap_or(tail.len());
            let auth = &tail[..auth_end];
            match auth.rfind('@') {
                Some(at) if auth[..at].contains(':') => {
                    self.count("url-credential");
                    out.push_str(REDACTED);
                    out.push(':');
                    out.push_str(REDACTED);
                    rest = &tail[at..];
                }
                _ => rest = tail,
            }
        }
        out.push_str(rest);
        out
    }

    /// `Bearer X` / `Basic X` (an `Authorization` header's value).
    fn bearer(&mut self, s: &str) -> String {
        let mut t = s.to_string();
        for p in ["Bearer ", "bearer ", "Basic ", "BEARER "] {
            if !t.contains(p) {
                continue;
            }
            let mut out = String::new();
            let mut rest = t.as_str();
            while let Some(i) = rest.find(p) {
                let tail = &rest[i + p.len()..];
                let n = tail
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(b))
                    .count();
                out.push_str(&rest[..i]);
                out.push_str(p);
                if n >= 8 && tail[..n] != *REDACTED {
                    self.count("token");
                    out.push_str(REDACTED);
                    rest = &tail[n..];
                } else {
                    rest = tail;
                }
            }
            out.push_str(rest);
            t = out;
        }
        t
    }

    /// `word = value` / `word: value` where the word (or its identifier) names a
    /// credential: the value replaced up to a quote, space, `&`, `,` or `;`.
    fn assignments(&mut self, s: &str) -> String {
        let lower = s.to_ascii_lowercase();
        if !ASSIGN_WORDS.iter().any(|w| lower.contains(w)) {
            return s.to_string();
        }
        let b = s.as_bytes();
        let idc = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        let mut out = String::new();
        let mut i = 0;
        let mut copied = 0;
        while i < b.len() {
            // The start of an identifier.
            if idc(b[i]) && (i == 0 || !idc(b[i - 1])) {
                let mut j = i;
                while j < b.len() && idc(b[j]) {
                    j += 1;
                }
                let ident_l = &lower[i..j];
                let names = ASSIGN_WORDS.iter().any(|w| ident_l.contains(w))
                    && !POINTER_TAILS.iter().any(|t| ident_l.ends_with(t));
                if names {
                    let mut k = j;
                    while k < b.len() && matches!(b[k], b'"' | b'\'' | b' ' | b'\t') {
                        k += 1;
                    }
                    if k < b.len() && (b[k] == b'=' || b[k] == b':') {
                        k += 1;
                        while k < b.len() && matches!(b[k], b' ' | b'\t' | b'"' | b'\'') {
                            k += 1;
                        }
                        let mut e = k;
                        while e < b.len()
                            && !matches!(
                                b[e],
                                b'"' | b'\'' | b' ' | b'\t' | b'\n' | b'\r' | b'&' | b',' | b';'
                            )
                        {
                            e += 1;
                        }
                        let val = &s[k..e];
                        let skip = val.is_empty()
                            || val.starts_with(['{', '[', '#', '$', '<'])
                            || val == REDACTED
                            || val.ends_with(REDACTED);
                        if !skip {
                            self.count("assignment");
                            out.push_str(&s[copied..k]);
                            out.push_str(REDACTED);
                            copied = e;
                            i = e;
                            continue;
                        }
                    }
                }
                i = j;
                continue;
            }
            i += 1;
        }
        out.push_str(&s[copied..]);
        out
    }
}

/// (prefix, least length after it, kind, extra characters of the token).
const TOKEN_PATTERNS: &[(&str, usize, &str, &str)] = &[
    ("ghp_", 20, "vcs-token", ""),
    ("gho_", 20, "vcs-token", ""),
    ("ghu_", 20, "vcs-token", ""),
    ("ghs_", 20, "vcs-token", ""),
    ("ghr_", 20, "vcs-token", ""),
    ("github_pat_", 20, "vcs-token", "_"),
    ("glpat-", 20, "vcs-token", "_-"),
    ("xoxb-", 10, "vcs-token", "-"),
    ("xoxp-", 10, "vcs-token", "-"),
    ("xoxa-", 10, "vcs-token", "-"),
    ("xoxr-", 10, "vcs-token", "-"),
    ("xoxs-", 10, "vcs-token", "-"),
    ("xapp-", 10, "vcs-token", "-"),
];

/// Words whose assignment is a credential in text (kubeconfig's keys among them).
const ASSIGN_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "private_key",
    "client-key-data",
    "client-certificate-data",
    "credential",
];
const POINTER_TAILS: &[&str] = &[
    "name", "ref", "file", "path", "ttl", "dir", "names", "secrets",
];

/// HTTP header names that carry a credential.
fn auth_header(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    matches!(
        k.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    )
}

/// `o` replaced by `p` where it is not inside a longer word.
fn replace_bounded(s: &str, o: &str, p: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    let mut prev: Option<char> = None;
    while let Some(i) = rest.find(o) {
        let before = rest[..i].chars().next_back().or(prev);
        let after = rest[i + o.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_none_or(|c| !ident(c)) && after.is_none_or(|c| !ident(c)) {
            out.push_str(p);
        } else {
            out.push_str(o);
        }
        prev = o.chars().next_back();
        rest = &rest[i + o.len()..];
    }
    out.push_str(rest);
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(opts: Options, events: &[&str]) -> (Vec<String>, Summary) {
        let mut r = Redactor::new(opts);
        for e in events {
            r.observe(e.as_bytes());
        }
        let out = events
            .iter()
            .map(|e| r.redact(e.as_bytes()).unwrap())
            .collect();
        (out, r.summary())
    }

    #[test]
    fn patterns_in_text() {
        let ev = r#"{"kind":"Event","verb":"create","annotations":{"x":"curl https://bob:hunter2pw@h/x?token=abc123 -H 'Authorization: Bearer abcdefghijk' AKIAABCDEFGHIJKLMNOP ghp_abcdefghijklmnopqrstuvwxyz0123 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig password=swordfish"}}"#;
        let (out, sum) = run(Options::default(), &[ev]);
        for bad in [
            "hunter2pw",
            "abc123",
            "abcdefghijk",
            "AKIAABCDEFGHIJKLMNOP",
            "ghp_abcdefghijklmnopqrstuvwxyz0123",
            "eyJzdWIiOiIxIn0",
            "swordfish",
        ] {
            assert!(!out[0].contains(bad), "{bad} left in {}", out[0]);
        }
        assert!(sum.changed.contains_key("jwt"), "{sum:?}");
    }

    #[test]
    fn bounded_words() {
        let e1 = r#"{"user":{"username":"admin"},"annotations":{"a":"RBAC: allowed by ClusterRoleBinding \"cluster-admin\" to User \"admin\""}}"#;
        let (out, _) = run(Options::default(), &[e1]);
        assert!(out[0].contains("cluster-admin"), "{}", out[0]);
        assert!(out[0].contains("User \\\"user-1\\\""), "{}", out[0]);
    }
}
