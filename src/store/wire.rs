//! A one-file [`Store`] as one byte buffer, and back.
//!
//! Used to send a piece of a large file from a helper web worker to the engine worker
//! (no threads, no SharedArrayBuffer: the bytes cross by `postMessage`), where
//! [`Store::absorb`] merges it. The format is the store's own columns, so encoding and
//! decoding are copies, and each distinct string crosses once:
//!
//! ```text
//! "ALP4"  header (u32 length + JSON: the file's counters, its kept rejections, sorted, wraps, facts, managedFields sizes too large to pack)
//!         dictionaries: 15 dimensions, audit IDs, group sets, source-IP sets
//!                       (each: u32 count, then u32 length + UTF-8 per string, ids 1..)
//!         u32 rows, then the fixed-width columns (little-endian), then the 16 id
//!         columns (u8 width + values), then the wrap column (u8 width + values;
//!         0 or 1 + an index into the header's `wraps`), then the fact strings (a
//!         dictionary) and the facts column (u8 width + values; 0 or 1 + an index into
//!         the header's `facts`)
//! ```
//!
//! Invariants: `decode(&encode(s))` gives a store that [`Store::absorb`]s exactly like
//! `s`; `decode` never panics and refuses anything it could not have written (short
//! data, ids outside their dictionary, counters that do not add up, trailing bytes).

use super::{Dim, FileInfo, Interner, Rejection, SetDict, Store, SymCol, F_AUDIT_SYM};

const MAGIC: &[u8; 4] = b"ALP4";

/// The header: what is not a column.
#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    file: FileInfo,
    rejections: Vec<Rejection>,
    sorted: bool,
    /// Where the piece's wrapped rows sit in their records (see `Store::wraps`).
    wraps: Vec<super::WrapPos>,
    /// The piece's rows' facts (see `Store::facts_tab`), ids into the fact strings.
    #[serde(default)]
    facts: Vec<super::EventFacts>,
    /// The piece's managedFields sizes too large for the packed `mf` column
    /// (see `Store::mf_big`).
    #[serde(default)]
    mf_big: Vec<(u32, u32)>,
}

/// Encodes `part`, a store holding exactly one file (as a piece reader makes).
///
/// # Panics
/// When `part` does not hold exactly one file (a caller's bug, not an input's).
pub fn encode(part: &Store) -> Vec<u8> {
    assert_eq!(part.files.len(), 1, "a piece store holds one file");
    let n = part.len();
    let mut w = Vec::with_capacity(n * 80 + (1 << 16));
    w.extend_from_slice(MAGIC);
    let head = serde_json::to_vec(&Header {
        file: part.files[0].clone(),
        rejections: part.rejections.clone(),
        sorted: part.sorted,
        wraps: part.wraps.clone(),
        facts: part.facts_tab.entries().to_vec(),
        mf_big: part.mf_big.clone(),
    })
    .expect("the header encodes");
    put_bytes(&mut w, &head);
    for d in Dim::ALL {
        put_dict(&mut w, part.dict.of(d));
    }
    put_dict(&mut w, &part.dict.audit_id);
    put_dict(&mut w, &part.dict.groups.raw);
    put_dict(&mut w, &part.dict.source_ips.raw);
    put_u32(&mut w, n as u32);
    part.c.encode(&mut w);
    for d in Dim::ALL {
        put_sym(&mut w, part.syms.col(d));
    }
    put_sym(&mut w, &part.syms.groups);
    put_sym(&mut w, &part.syms.source_ips);
    put_sym(&mut w, &part.wrap);
    put_dict(&mut w, &part.dict.facts);
    put_sym(&mut w, &part.facts);
    w
}

/// Decodes what [`encode`] wrote. The store holds one file (index 0); its rows are in
/// the order they were read (not finalized).
pub fn decode(wire: &[u8]) -> Result<Store, String> {
    let mut r = Reader(wire);
    if r.take(4)? != MAGIC {
        return Err("not a store piece (bad magic)".into());
    }
    let n = r.u32()? as usize;
    let head: Header = serde_json::from_slice(r.take(n)?).map_err(|e| format!("header: {e}"))?;
    let mut s = Store::new();
    for d in Dim::ALL {
        r.dict(s.dict.of_mut(d))?;
    }
    r.dict(&mut s.dict.audit_id)?;
    r.sets(&mut s.dict.groups)?;
    r.sets(&mut s.dict.source_ips)?;
    let n = r.u32()? as usize;
    let f = &head.file;
    let sum = f
        .events
        .checked_add(f.rejected)
        .and_then(|x| x.checked_add(f.skipped));
    if f.events != n as u64 || sum != Some(f.records) {
        return Err(format!(
            "counters do not add up: {} rows, {} events + {} rejected + {} skipped vs {} records",
            n, f.events, f.rejected, f.skipped, f.records
        ));
    }
    let fixed = n
        .checked_mul(super::fixed::Fixed::ROW_BYTES)
        .ok_or("row count too large")?;
    s.c = super::fixed::Fixed::decode(r.take(fixed)?, n);
    for d in Dim::ALL {
        let limit = s.dict.of(d).len();
        *s.syms.col_mut(d) = r.sym(n, limit)?;
    }
    s.syms.groups = r.sym(n, s.dict.groups.raw.len())?;
    s.syms.source_ips = r.sym(n, s.dict.source_ips.raw.len())?;
    s.wrap = r.sym(n, head.wraps.len() + 1)?;
    s.wraps = head.wraps.clone();
    s.mf_big = head.mf_big.clone();
    r.dict(&mut s.dict.facts)?;
    s.facts = r.sym(n, head.facts.len() + 1)?;
    let strs = s.dict.facts.len() as u32;
    for f in head.facts {
        if f.parts().is_none() || f.max_id() >= strs {
            return Err(
                "a fact entry is malformed or names a string outside its dictionary".into(),
            );
        }
        if s.facts_tab.intern(f) as usize != s.facts_tab.len() {
            return Err("a fact entry is repeated".into());
        }
    }
    if !r.0.is_empty() {
        return Err(format!("{} bytes after the last column", r.0.len()));
    }
    let stages = crate::audit::Stage::ALL.len() as u8;
    let levels = crate::audit::Level::ALL.len() as u8;
    let audits = s.dict.audit_id.len() as u128;
    for i in 0..n {
        if s.c.stage[i] >= stages && s.c.stage[i] != super::NO_STAGE {
            return Err(format!("row {i}: stage byte {}", s.c.stage[i]));
        }
        if s.c.level[i] >= levels && s.c.level[i] != super::NO_LEVEL {
            return Err(format!("row {i}: level byte {}", s.c.level[i]));
        }
        if (s.c.flags[i] & super::F_WRAPPED != 0) != (s.wrap.get(i) != 0) {
            return Err(format!("row {i}: wrapper flag and position disagree"));
        }
        if s.c.mf[i] & super::MF_BIG != 0
            && (s.c.mf[i] & !super::MF_BIG) as usize >= head.mf_big.len()
        {
            return Err(format!(
                "row {i}: managedFields size entry not in the header"
            ));
        }
        if s.c.flags[i] & F_AUDIT_SYM != 0 && s.c.audit_id[i] >= audits {
            return Err(format!(
                "row {i}: audit ID {} not in its dictionary",
                s.c.audit_id[i]
            ));
        }
    }
    if head.rejections.iter().any(|r| r.file != 0) {
        return Err("a rejection names another file".into());
    }
    let sorted = s.c.received.windows(2).all(|w| w[0] <= w[1]);
    if head.sorted && !sorted {
        return Err("rows said to be in time order are not".into());
    }
    for _ in 0..n {
        s.file.push(0);
    }
    s.sorted = head.sorted;
    s.files = vec![head.file];
    s.rejections = head.rejections;
    Ok(s)
}

fn put_u32(w: &mut Vec<u8>, v: u32) {
    w.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(w: &mut Vec<u8>, b: &[u8]) {
    put_u32(w, b.len() as u32);
    w.extend_from_slice(b);
}

/// Strings `1..len` (id 0 is always `""`).
fn put_dict(w: &mut Vec<u8>, d: &Interner) {
    put_u32(w, d.len().saturating_sub(1) as u32);
    for i in 1..d.len() as u32 {
        put_bytes(w, d.get(i).as_bytes());
    }
}

fn put_col<T: Copy, const N: usize>(w: &mut Vec<u8>, c: &[T], le: impl Fn(T) -> [u8; N]) {
    w.reserve(c.len() * N);
    for &v in c {
        w.extend_from_slice(&le(v));
    }
}

fn put_sym(w: &mut Vec<u8>, c: &SymCol) {
    match c {
        SymCol::U8(v) => {
            w.push(1);
            w.extend_from_slice(v);
        }
        SymCol::U16(v) => {
            w.push(2);
            put_col(w, v, |x| x.to_le_bytes());
        }
        SymCol::U32(v) => {
            w.push(4);
            put_col(w, v, |x| x.to_le_bytes());
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("the data ends early".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn str(&mut self) -> Result<&'a str, String> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| "a string is not UTF-8".to_string())
    }

    /// Interns strings `1..` into a fresh interner; each must get its own id.
    fn dict(&mut self, into: &mut Interner) -> Result<(), String> {
        self.strings(|s| into.intern(s))
    }

    fn sets(&mut self, into: &mut SetDict) -> Result<(), String> {
        self.strings(|s| into.intern(s))
    }

    /// A counted list of strings, given to `intern` in order: string `i` (from 1) must
    /// get id `i` (a repeated or empty string would not).
    fn strings(&mut self, mut intern: impl FnMut(&str) -> u32) -> Result<(), String> {
        let n = self.u32()?;
        for i in 1..=n {
            if intern(self.str()?) != i {
                return Err("a dictionary repeats a string".into());
            }
        }
        Ok(())
    }

    fn col<T, const N: usize>(
        &mut self,
        n: usize,
        le: impl Fn([u8; N]) -> T,
    ) -> Result<Vec<T>, String> {
        let bytes = self.take(n.checked_mul(N).ok_or("too many rows")?)?;
        Ok(bytes
            .chunks_exact(N)
            .map(|c| le(c.try_into().expect("N bytes")))
            .collect())
    }

    fn sym(&mut self, n: usize, limit: usize) -> Result<SymCol, String> {
        let c = match self.take(1)?[0] {
            1 => SymCol::U8(self.take(n)?.to_vec()),
            2 => SymCol::U16(self.col(n, u16::from_le_bytes)?),
            4 => SymCol::U32(self.col(n, u32::from_le_bytes)?),
            w => return Err(format!("id column width {w}")),
        };
        if (0..n).any(|i| c.get(i) as usize >= limit) {
            return Err("an id is outside its dictionary".into());
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{load_bytes, Ingester};

    const LOG: &str = concat!(
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-3f3b1a2f0e01","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"alice","groups":["dev","system:authenticated"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-05-01T10:00:02Z","stageTimestamp":"2024-05-01T10:00:02.5Z"}"#,
        "\nnot json\n",
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"not-a-uuid","stage":"ResponseComplete","requestURI":"/healthz?verbose","verb":"get","user":{"username":"bob"},"requestReceivedTimestamp":"2024-05-01T10:00:01Z","stageTimestamp":"2024-05-01T10:00:01Z"}"#,
        "\n",
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-3f3b1a2f0e02","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/default/pods/web-1/exec?command=sh&command=-c&command=id+-u&container=app&tty=true","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"pods","namespace":"default","name":"web-1","apiVersion":"v1","subresource":"exec"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2024-05-01T10:00:03Z","stageTimestamp":"2024-05-01T10:00:03Z"}"#,
        "\n"
    );

    fn piece() -> Store {
        let mut s = Store::new();
        load_bytes(&mut s, "piece.log", LOG.as_bytes());
        s
    }

    #[test]
    fn round_trip_keeps_every_column() {
        let s = piece();
        let d = decode(&encode(&s)).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d.files[0].records, 4);
        assert_eq!(d.rejections.len(), 1);
        assert!(!d.sorted, "the second event is earlier");
        for r in 0..s.len() {
            assert_eq!(d.received(r), s.received(r));
            assert_eq!(d.latency(r), s.latency(r));
            assert_eq!(d.audit_id(r), s.audit_id(r));
            assert_eq!(d.path(r), s.path(r));
            assert_eq!(d.flags(r), s.flags(r));
            for dim in Dim::ALL {
                assert_eq!(d.str(dim, r), s.str(dim, r), "{dim:?} row {r}");
            }
            let groups = |x: &Store| x.dict.groups.members_of(x.groups_id(r)).count();
            assert_eq!(groups(&d), groups(&s));
            assert_eq!(d.first_source_ip(r), s.first_source_ip(r));
            assert_eq!(d.facts_raw(r), s.facts_raw(r));
        }
        let f = d.facts(2).expect("the exec has facts");
        assert_eq!(f.command().collect::<Vec<_>>(), ["sh", "-c", "id -u"]);
        assert_eq!(
            (f.container(), f.has(crate::ingest::facts::FACT_TTY)),
            ("app", true)
        );
    }

    #[test]
    fn absorbing_a_decoded_piece_equals_absorbing_the_piece() {
        let part = piece();
        let mut a = Store::new();
        let fa = Ingester::new(&mut a, "f", 0).file();
        a.absorb(&part, fa, 10);
        let mut b = Store::new();
        let fb = Ingester::new(&mut b, "f", 0).file();
        b.absorb(&decode(&encode(&part)).unwrap(), fb, 10);
        assert_eq!(a.files[0].records, b.files[0].records);
        assert_eq!(a.rejections, b.rejections);
        assert_eq!(b.rejections[0].line, 12);
        for r in 0..a.len() {
            assert_eq!(a.audit_id(r), b.audit_id(r));
            assert_eq!(a.str(Dim::User, r), b.str(Dim::User, r));
        }
    }

    #[test]
    fn refuses_what_it_could_not_have_written() {
        let good = encode(&piece());
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("bad magic", b"XXXX".to_vec()),
            ("cut short", good[..good.len() - 1].to_vec()),
            ("trailing byte", [&good[..], &[0]].concat()),
            ("cut in the header", good[..10].to_vec()),
        ];
        for (what, bytes) in cases {
            assert!(decode(&bytes).is_err(), "{what}");
        }
        // Every single-byte change either decodes or is refused; none panics.
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0xff;
            let _ = decode(&b);
        }
    }
}
