//! String interner: one byte arena, an `ends` table and a hash table of ids.
//!
//! Invariants: id 0 is always the empty string; ids are dense (`0..len()`); an interned
//! string never moves or changes, so `get(id)` is stable for the interner's lifetime.
//! The hash table stores only ids: each key lives once, in the arena.

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// A string interner with dense `u32` ids.
#[derive(Clone)]
pub struct Interner {
    arena: Vec<u8>,
    /// `ends[id]` is the arena offset one past string `id`; string `id` starts at `ends[id-1]`.
    ends: Vec<u32>,
    table: HashTable<u32>,
    hasher: FixedState,
}

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

impl Interner {
    /// A new interner holding only `""` (id 0).
    pub fn new() -> Self {
        let mut i = Interner {
            arena: Vec::new(),
            ends: Vec::new(),
            table: HashTable::new(),
            hasher: FixedState::with_seed(0x5eed_a0d1),
        };
        i.intern("");
        i
    }

    /// Returns the id of `s`, adding it if new.
    #[inline]
    pub fn intern(&mut self, s: &str) -> u32 {
        let h = self.hasher.hash_one(s.as_bytes());
        let (arena, ends) = (&self.arena, &self.ends);
        let eq = |id: &u32| str_at(arena, ends, *id).as_bytes() == s.as_bytes();
        if let Some(id) = self.table.find(h, eq) {
            return *id;
        }
        let id = self.ends.len() as u32;
        self.arena.extend_from_slice(s.as_bytes());
        self.ends.push(self.arena.len() as u32);
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        self.table.insert_unique(h, id, |id| {
            hasher.hash_one(str_at(arena, ends, *id).as_bytes())
        });
        id
    }

    /// The id of `s` if it was interned.
    pub fn lookup(&self, s: &str) -> Option<u32> {
        let h = self.hasher.hash_one(s.as_bytes());
        self.table
            .find(h, |id| {
                str_at(&self.arena, &self.ends, *id).as_bytes() == s.as_bytes()
            })
            .copied()
    }

    /// The string of `id`. Panics if `id` was not returned by this interner.
    #[inline]
    pub fn get(&self, id: u32) -> &str {
        str_at(&self.arena, &self.ends, id)
    }

    /// Number of distinct strings, including `""`.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Always false: `""` is always present.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Forgets every string of id `len` and above (undoes the interning since the
    /// interner had `len` strings). Ids below `len` are unchanged.
    pub fn truncate(&mut self, len: usize) {
        let len = len.max(1);
        if len >= self.ends.len() {
            return;
        }
        self.table.retain(|id| (*id as usize) < len);
        self.arena.truncate(self.ends[len - 1] as usize);
        self.ends.truncate(len);
    }

    /// Iterates `(id, string)` in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> + '_ {
        (0..self.len() as u32).map(move |i| (i, self.get(i)))
    }

    /// Bytes used (arena + ends + hash slots), not counting spare capacity.
    pub fn heap_bytes(&self) -> usize {
        self.arena.len() + self.ends.len() * 4 + self.table.len() * 4 + self.table.capacity() / 8
    }
}

#[inline]
fn str_at<'a>(arena: &'a [u8], ends: &[u32], id: u32) -> &'a str {
    let id = id as usize;
    let end = ends[id] as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] as usize };
    // SAFETY-free: the arena only ever receives whole `&str`s, so every
    // [start, end) range is valid UTF-8; fall back to "" rather than panic.
    std::str::from_utf8(&arena[start..end]).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_zero_and_ids_are_dense() {
        let mut i = Interner::new();
        assert_eq!(i.intern(""), 0);
        assert_eq!(i.intern("a"), 1);
        assert_eq!(i.intern("b"), 2);
        assert_eq!(i.intern("a"), 1);
        assert_eq!(i.len(), 3);
        assert_eq!(i.get(2), "b");
        assert_eq!(i.lookup("b"), Some(2));
        assert_eq!(i.lookup("c"), None);
    }

    #[test]
    fn many_strings_survive_rehash() {
        let mut i = Interner::new();
        let ids: Vec<u32> = (0..10_000).map(|n| i.intern(&format!("s{n}"))).collect();
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(i.get(*id), format!("s{n}"));
            assert_eq!(i.intern(&format!("s{n}")), *id);
        }
        assert_eq!(i.len(), 10_001);
    }

    #[test]
    fn truncate_undoes_interning() {
        let mut i = Interner::new();
        let a = i.intern("a");
        let n = i.len();
        for k in 0..1000 {
            i.intern(&format!("x{k}"));
        }
        i.truncate(n);
        assert_eq!(i.len(), n);
        assert_eq!(i.lookup("x5"), None);
        assert_eq!(i.get(a), "a");
        assert_eq!(i.intern("x5"), n as u32, "ids are dense again");
        assert_eq!(i.intern("a"), a);
        i.truncate(0);
        assert_eq!((i.len(), i.get(0)), (1, ""), "\"\" stays");
    }

    #[test]
    fn non_ascii() {
        let mut i = Interner::new();
        let a = i.intern("größe");
        let b = i.intern("日本");
        assert_eq!(i.get(a), "größe");
        assert_eq!(i.get(b), "日本");
    }
}
