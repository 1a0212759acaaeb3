//! The store's fixed-width columns, declared once.
//!
//! Every column of this list is permuted, truncated, appended, cleared, shrunk, measured
//! and put on the wire by the same generated code, so a new column cannot be forgotten in
//! one of those places (it used to be listed in eight). The interned id columns are
//! declared once too (`sym_columns!` in `mod.rs`).
//!
//! Invariant: every column has the same length (the store's row count).

/// A fixed-width value with a little-endian byte form (the piece wire format).
pub(crate) trait Le: Copy {
    const N: usize;
    fn put(self, w: &mut Vec<u8>);
    /// `b` is exactly [`Le::N`] bytes.
    fn get(b: &[u8]) -> Self;
}

macro_rules! le {
    ($($t:ty),*) => {$(
        impl Le for $t {
            const N: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put(self, w: &mut Vec<u8>) {
                w.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn get(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
le!(u8, u16, u32, u64, u128, i64);

macro_rules! fixed_columns {
    ($( $(#[$m:meta])* $name:ident : $t:ty ),* $(,)?) => {
        /// The fixed-width columns (see the module docs).
        #[derive(Clone, Debug, Default)]
        pub(crate) struct Fixed {
            $( $(#[$m])* pub(crate) $name: Vec<$t>, )*
        }

        impl Fixed {
            /// Bytes one row takes in these columns.
            pub(crate) const ROW_BYTES: usize = 0 $( + <$t as Le>::N )*;

            /// New position `i` holds old position `perm[i]` (or the subset `perm` picks).
            pub(crate) fn permute(&mut self, perm: &[u32]) {
                $( super::col::permute_vec(&mut self.$name, perm); )*
            }
            pub(crate) fn truncate(&mut self, n: usize) {
                $( self.$name.truncate(n); )*
            }
            pub(crate) fn clear(&mut self) {
                $( self.$name.clear(); )*
            }
            pub(crate) fn shrink_to_fit(&mut self) {
                $( self.$name.shrink_to_fit(); )*
            }
            /// Appends every row of `o`.
            pub(crate) fn extend_from(&mut self, o: &Fixed) {
                $( self.$name.extend_from_slice(&o.$name); )*
            }
            /// Column after column, little-endian.
            pub(crate) fn encode(&self, w: &mut Vec<u8>) {
                w.reserve(self.received.len() * Self::ROW_BYTES);
                $( for &v in &self.$name { Le::put(v, w); } )*
            }
            /// What [`encode`](Self::encode) wrote for `n` rows; `b` is exactly
            /// `n * ROW_BYTES` bytes.
            pub(crate) fn decode(mut b: &[u8], n: usize) -> Fixed {
                debug_assert_eq!(b.len(), n * Self::ROW_BYTES);
                let mut f = Fixed::default();
                $(
                    let (col, rest) = b.split_at(n * <$t as Le>::N);
                    f.$name = col.chunks_exact(<$t as Le>::N).map(<$t as Le>::get).collect();
                    b = rest;
                )*
                let _ = b;
                f
            }
        }
    };
}

fixed_columns! {
    /// `requestReceivedTimestamp`, µs since the epoch.
    received: i64,
    /// `stageTimestamp - requestReceivedTimestamp`, µs (saturating).
    latency: u32,
    stage: u8,
    level: u8,
    /// `F_*` bits.
    flags: u8,
    code: u16,
    /// A UUID as a number, or (with `F_AUDIT_SYM`) an id into `dict.audit_id`.
    audit_id: u128,
    /// Byte offset of the record in the (decompressed) file.
    offset: u64,
    /// The event's byte length.
    len: u32,
    req_size: u32,
    resp_size: u32,
    /// What `omitManagedFields` would remove from the bodies, packed (see
    /// `Store::managed_fields_size`): bit 31 clear: request bytes in bits 0..15 (< 32 768),
    /// response bytes in bits 15..31 (< 65 536); bit 31 set: an index into
    /// `Store::mf_big` holding both.
    mf: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let mut f = Fixed::default();
        for i in 0..5u32 {
            f.received.push(-(i as i64) * 1_000_000_007);
            f.latency.push(i * 3);
            f.stage.push(i as u8);
            f.level.push(255);
            f.flags.push(1 << i);
            f.code.push(200 + i as u16);
            f.audit_id.push(u128::MAX - i as u128);
            f.offset.push(u64::MAX / (i as u64 + 1));
            f.len.push(i);
            f.req_size.push(i + 1);
            f.resp_size.push(i + 2);
            f.mf.push(i << 20);
        }
        let mut w = Vec::new();
        f.encode(&mut w);
        assert_eq!(w.len(), 5 * Fixed::ROW_BYTES);
        assert_eq!(
            Fixed::ROW_BYTES,
            8 + 4 + 1 + 1 + 1 + 2 + 16 + 8 + 4 + 4 + 4 + 4
        );
        let g = Fixed::decode(&w, 5);
        assert_eq!(format!("{g:?}"), format!("{f:?}"));
        let mut h = g.clone();
        h.permute(&[4, 0]);
        assert_eq!((h.received.len(), h.code[0], h.code[1]), (2, 204, 200));
        h.extend_from(&g);
        h.truncate(3);
        assert_eq!(h.resp_size, vec![6, 2, 2]);
    }
}
