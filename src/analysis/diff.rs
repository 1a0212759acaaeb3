//! A structured diff of two JSON documents (two versions of one Kubernetes object), and
//! who owns a changed field according to the newer version's `metadata.managedFields`.
//!
//! Paths read as the object's fields do: `spec.renewTime`, `metadata.labels.app`,
//! `metadata.labels["app.kubernetes.io/name"]`, `spec.containers[name=nginx].image`,
//! `spec.rules[0]`. Lists whose items all carry a unique `name` are matched by name (as
//! the API's merge keys mostly do: containers, env, volumes, ports by name); lists of
//! scalars are compared whole (`verbs: ["get"] → ["*"]`); other lists item by item.
//! `metadata.managedFields` itself is left out of the diff: it is what attributes it.

use serde_json::Value;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A field of an object, or a key of a map.
    Field(String),
    /// The item of a list whose `name` is this.
    Name(String),
    /// The item of a list at this position.
    Index(usize),
}

/// One difference: `from` absent means added, `to` absent means removed.
#[derive(Clone, Debug, PartialEq)]
pub struct Delta {
    pub segs: Vec<Seg>,
    pub from: Option<Value>,
    pub to: Option<Value>,
}

impl Delta {
    /// `added`, `removed` or `changed`.
    pub fn kind(&self) -> &'static str {
        match (&self.from, &self.to) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "changed",
        }
    }
    /// The path as text.
    pub fn path(&self) -> String {
        path_text(&self.segs)
    }
}

/// A path as text (see the module docs).
pub fn path_text(segs: &[Seg]) -> String {
    let mut s = String::new();
    for g in segs {
        match g {
            Seg::Field(f) => {
                let plain = !f.is_empty()
                    && f.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if plain {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(f);
                } else {
                    s.push('[');
                    s.push_str(&Value::String(f.clone()).to_string());
                    s.push(']');
                }
            }
            Seg::Name(n) => {
                s.push_str("[name=");
                s.push_str(n);
                s.push(']');
            }
            Seg::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

/// Every difference from `a` to `b`, in path order.
pub fn diff(a: &Value, b: &Value) -> Vec<Delta> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(a, b, &mut path, &mut out);
    out
}

fn skipped(path: &[Seg]) -> bool {
    matches!(path, [Seg::Field(m), Seg::Field(f)] if m == "metadata" && f == "managedFields")
}

fn walk(a: &Value, b: &Value, path: &mut Vec<Seg>, out: &mut Vec<Delta>) {
    if skipped(path) || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                path.push(Seg::Field(k.clone()));
                match y.get(k) {
                    Some(vb) => walk(va, vb, path, out),
                    None if !skipped(path) => out.push(Delta {
                        segs: path.clone(),
                        from: Some(va.clone()),
                        to: None,
                    }),
                    None => {}
                }
                path.pop();
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    path.push(Seg::Field(k.clone()));
                    if !skipped(path) {
                        out.push(Delta {
                            segs: path.clone(),
                            from: None,
                            to: Some(vb.clone()),
                        });
                    }
                    path.pop();
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let scalars = x.iter().chain(y).all(|v| !v.is_object() && !v.is_array());
            if scalars {
                out.push(change(path, a, b));
            } else if let (Some(nx), Some(ny)) = (names(x), names(y)) {
                for (i, n) in nx.iter().enumerate() {
                    path.push(Seg::Name(n.to_string()));
                    match ny.iter().position(|m| m == n) {
                        Some(j) => walk(&x[i], &y[j], path, out),
                        None => out.push(Delta {
                            segs: path.clone(),
                            from: Some(x[i].clone()),
                            to: None,
                        }),
                    }
                    path.pop();
                }
                for (j, n) in ny.iter().enumerate() {
                    if !nx.contains(n) {
                        path.push(Seg::Name(n.to_string()));
                        out.push(Delta {
                            segs: path.clone(),
                            from: None,
                            to: Some(y[j].clone()),
                        });
                        path.pop();
                    }
                }
            } else {
                for i in 0..x.len().max(y.len()) {
                    path.push(Seg::Index(i));
                    match (x.get(i), y.get(i)) {
                        (Some(va), Some(vb)) => walk(va, vb, path, out),
                        (va, vb) => out.push(Delta {
                            segs: path.clone(),
                            from: va.cloned(),
                            to: vb.cloned(),
                        }),
                    }
                    path.pop();
                }
            }
        }
        _ => out.push(change(path, a, b)),
    }
}

fn change(path: &[Seg], a: &Value, b: &Value) -> Delta {
    Delta {
        segs: path.to_vec(),
        from: Some(a.clone()),
        to: Some(b.clone()),
    }
}

/// The `name` of every item when all items are objects with a unique string `name`.
fn names(v: &[Value]) -> Option<Vec<&str>> {
    let mut out = Vec::with_capacity(v.len());
    for item in v {
        let n = item.get("name")?.as_str()?;
        if out.contains(&n) {
            return None;
        }
        out.push(n);
    }
    (!out.is_empty()).then_some(out)
}

/// The value at `segs` in `v`.
pub fn get<'a>(v: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    let mut cur = v;
    for g in segs {
        cur = match g {
            Seg::Field(f) => cur.get(f)?,
            Seg::Index(i) => cur.get(*i)?,
            Seg::Name(n) => cur
                .as_array()?
                .iter()
                .find(|x| x.get("name").and_then(Value::as_str) == Some(n))?,
        };
    }
    Some(cur)
}

/// The managers (`manager`, `operation`) of `obj.metadata.managedFields` whose `fieldsV1`
/// holds the field at `segs` (or, for a map or list added whole, something under it).
///
/// `fieldsV1` is a trie of the owned fields (k8s.io/apimachinery meta/v1 `FieldsV1`, the
/// encoding of sigs.k8s.io/structured-merge-diff `fieldpath`): each key is `.` (the
/// field itself) or a path element: `f:<name>` a field of a struct or key of a map,
/// `k:<json>` the list item whose key fields have these values, `v:<json>` the list item
/// with this exact value (sets), `i:<index>` the item at a position. A key mapping to
/// `{}` is a leaf: the field it names is owned whole.
pub fn owners(obj: &Value, segs: &[Seg]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(mf) = obj
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
    else {
        return out;
    };
    for e in mf {
        let Some(fields) = e.get("fieldsV1") else {
            continue;
        };
        if owns(fields, Some(obj), segs) {
            let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let pair = (s("manager"), s("operation"));
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}

fn owns(node: &Value, cur: Option<&Value>, segs: &[Seg]) -> bool {
    let Some(map) = node.as_object() else {
        return false;
    };
    let Some((first, rest)) = segs.split_first() else {
        return true;
    };
    if map.is_empty() {
        // A leaf: the field is owned whole, everything under it too.
        return true;
    }
    match first {
        Seg::Field(f) => map
            .get(&format!("f:{f}"))
            .is_some_and(|n| owns(n, cur.and_then(|c| c.get(f)), rest)),
        Seg::Name(_) | Seg::Index(_) => {
            let item = cur.and_then(|c| get(c, std::slice::from_ref(first)));
            map.iter().any(|(k, n)| {
                let hit = if let Some(keys) = k.strip_prefix("k:") {
                    match (serde_json::from_str::<Value>(keys), first) {
                        (Ok(Value::Object(kv)), _) if item.is_some() => {
                            let it = item.unwrap_or(&Value::Null);
                            kv.iter().all(|(kk, vv)| it.get(kk) == Some(vv))
                        }
                        (Ok(Value::Object(kv)), Seg::Name(name)) => {
                            kv.len() == 1
                                && kv.get("name").and_then(Value::as_str) == Some(name.as_str())
                        }
                        _ => false,
                    }
                } else if let Some(v) = k.strip_prefix("v:") {
                    item.is_some_and(|it| {
                        serde_json::from_str::<Value>(v).ok().as_ref() == Some(it)
                    })
                } else if let Some(i) = k.strip_prefix("i:") {
                    matches!(first, Seg::Index(x) if i.parse::<usize>().ok() == Some(*x))
                } else {
                    false
                };
                hit && owns(n, item, rest)
            })
        }
    }
}
