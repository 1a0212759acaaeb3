//! Auto-widening integer column for interned ids.
//!
//! Most audit dimensions have few distinct values (verbs, levels, resources), so ids are
//! stored as `u8` until an id needs more, then the column widens once to `u16`, then `u32`.
//! Invariant: `get(i)` returns exactly the value pushed at `i`, whatever the width.

/// A column of `u32` ids stored in the narrowest width that holds every value so far.
#[derive(Clone, Debug)]
pub enum SymCol {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for SymCol {
    fn default() -> Self {
        SymCol::U8(Vec::new())
    }
}

impl SymCol {
    #[inline]
    pub fn push(&mut self, v: u32) {
        match self {
            SymCol::U8(c) if v <= u8::MAX as u32 => c.push(v as u8),
            SymCol::U16(c) if v <= u16::MAX as u32 => c.push(v as u16),
            SymCol::U32(c) => c.push(v),
            _ => {
                self.widen(v);
                self.push(v)
            }
        }
    }

    #[cold]
    fn widen(&mut self, v: u32) {
        *self = match std::mem::take(self) {
            SymCol::U8(c) if v <= u16::MAX as u32 => {
                SymCol::U16(c.into_iter().map(u16::from).collect())
            }
            SymCol::U8(c) => SymCol::U32(c.into_iter().map(u32::from).collect()),
            SymCol::U16(c) => SymCol::U32(c.into_iter().map(u32::from).collect()),
            c @ SymCol::U32(_) => c,
        };
    }

    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            SymCol::U8(c) => c[i] as u32,
            SymCol::U16(c) => c[i] as u32,
            SymCol::U32(c) => c[i],
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SymCol::U8(c) => c.len(),
            SymCol::U16(c) => c.len(),
            SymCol::U32(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes used by the values (not spare capacity).
    pub fn heap_bytes(&self) -> usize {
        match self {
            SymCol::U8(c) => c.len(),
            SymCol::U16(c) => c.len() * 2,
            SymCol::U32(c) => c.len() * 4,
        }
    }

    /// Reorders so that new position `i` holds old position `perm[i]` (or keeps the
    /// subset `perm` picks).
    pub fn permute(&mut self, perm: &[u32]) {
        match self {
            SymCol::U8(c) => permute_vec(c, perm),
            SymCol::U16(c) => permute_vec(c, perm),
            SymCol::U32(c) => permute_vec(c, perm),
        }
    }

    /// Keeps the first `n` values.
    pub fn truncate(&mut self, n: usize) {
        match self {
            SymCol::U8(c) => c.truncate(n),
            SymCol::U16(c) => c.truncate(n),
            SymCol::U32(c) => c.truncate(n),
        }
    }

    pub fn shrink_to_fit(&mut self) {
        match self {
            SymCol::U8(c) => c.shrink_to_fit(),
            SymCol::U16(c) => c.shrink_to_fit(),
            SymCol::U32(c) => c.shrink_to_fit(),
        }
    }
}

/// Reorders `v` so that new position `i` holds old position `perm[i]` (`perm` may also
/// pick a subset: the rows kept).
pub fn permute_vec<T: Copy>(v: &mut Vec<T>, perm: &[u32]) {
    debug_assert!(perm.len() <= v.len());
    let out: Vec<T> = perm.iter().map(|&p| v[p as usize]).collect();
    *v = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_and_keeps_values() {
        let mut c = SymCol::default();
        let vals = [0u32, 1, 255, 256, 3, 65_535, 65_536, 7, u32::MAX];
        for (n, v) in vals.iter().enumerate() {
            c.push(*v);
            for (i, w) in vals[..=n].iter().enumerate() {
                assert_eq!(c.get(i), *w);
            }
        }
        assert!(matches!(c, SymCol::U32(_)));
        assert_eq!(c.len(), vals.len());
    }

    #[test]
    fn stays_narrow() {
        let mut c = SymCol::default();
        for v in 0..=255 {
            c.push(v);
        }
        assert!(matches!(c, SymCol::U8(_)));
        assert_eq!(c.heap_bytes(), 256);
    }

    #[test]
    fn permute_reorders() {
        let mut c = SymCol::default();
        for v in [10, 20, 30] {
            c.push(v);
        }
        c.permute(&[2, 0, 1]);
        assert_eq!((c.get(0), c.get(1), c.get(2)), (30, 10, 20));
    }
}
