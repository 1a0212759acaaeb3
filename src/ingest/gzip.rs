//! Push-based gzip decoding with bounded output, in pure Rust (miniz_oxide via flate2).
//!
//! Accepts compressed bytes in chunks of any size and hands decompressed bytes to a
//! callback in pieces of at most [`OUT_PIECE`] bytes, so a small compressed chunk never
//! balloons into an unbounded buffer. Handles multi-member files (`cat a.gz b.gz`),
//! checks each member's CRC-32 and size, and stops a decompression bomb at
//! [`MAX_RATIO`] once more than [`RATIO_GRACE`] bytes came out.

use flate2::{Crc, Decompress, FlushDecompress, Status};

/// Largest piece of decompressed output handed to the callback at once.
pub const OUT_PIECE: usize = 1 << 20;
/// Output/input ratio above which decoding stops (real audit logs compress 8–30x).
pub const MAX_RATIO: u64 = 200;
/// Output allowed before the ratio is enforced.
pub const RATIO_GRACE: u64 = 64 << 20;

/// True when `b` starts with the gzip magic bytes.
pub fn is_gzip(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

enum St {
    Header,
    Body,
    Trailer,
    Done,
}

/// Streaming gzip decoder. Errors are final: once `error()` is set, input is ignored.
pub struct GzipStream {
    st: St,
    hdr: Vec<u8>,
    inflate: Decompress,
    crc: Crc,
    out: Vec<u8>,
    /// Compressed bytes consumed by the inflater (the ratio is measured against these).
    pub consumed: u64,
    pub decoded_out: u64,
    pub members: u32,
    error: Option<String>,
}

impl Default for GzipStream {
    fn default() -> Self {
        Self::new()
    }
}

impl GzipStream {
    pub fn new() -> Self {
        GzipStream {
            st: St::Header,
            hdr: Vec::new(),
            inflate: Decompress::new(false),
            crc: Crc::new(),
            out: vec![0; OUT_PIECE],
            consumed: 0,
            decoded_out: 0,
            members: 0,
            error: None,
        }
    }

    /// The error that stopped decoding, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Feeds compressed bytes; decompressed pieces go to `sink`.
    pub fn push(&mut self, mut input: &[u8], sink: &mut dyn FnMut(&[u8])) {
        while !input.is_empty() && self.error.is_none() {
            match self.st {
                St::Done => {
                    // Another member, or trailing garbage/zero padding.
                    if input.iter().all(|&b| b == 0) {
                        return;
                    }
                    self.st = St::Header;
                }
                St::Header => {
                    // Header bytes so far plus up to 64 KiB more; on success, what followed
                    // the header is handed back to `input` (no copy, no recursion: a chunk
                    // of many small members is a loop).
                    let take = input.len().min(64 * 1024);
                    self.hdr.extend_from_slice(&input[..take]);
                    match parse_header(&self.hdr) {
                        Ok(Some(n)) => {
                            let after = self.hdr.len() - n; // bytes of `input` past the header
                            input = &input[take - after..];
                            self.hdr.clear();
                            self.inflate.reset(false);
                            self.crc.reset();
                            self.members += 1;
                            self.st = St::Body;
                        }
                        Ok(None) if self.hdr.len() > 1 << 20 => {
                            self.fail("gzip header is too long")
                        }
                        Ok(None) => input = &input[take..],
                        Err(e) => self.fail(e),
                    }
                }
                St::Body => {
                    let before_in = self.inflate.total_in();
                    let before_out = self.inflate.total_out();
                    let r = self
                        .inflate
                        .decompress(input, &mut self.out, FlushDecompress::None);
                    let used = (self.inflate.total_in() - before_in) as usize;
                    let made = (self.inflate.total_out() - before_out) as usize;
                    input = &input[used..];
                    self.consumed += used as u64;
                    if made > 0 {
                        self.crc.update(&self.out[..made]);
                        self.decoded_out += made as u64;
                        sink(&self.out[..made]);
                        if self.decoded_out > RATIO_GRACE
                            && self.decoded_out > self.consumed.max(1) * MAX_RATIO
                        {
                            self.fail(format!(
                                "decompression stopped: {} MB came out of {} kB (ratio over {MAX_RATIO}:1 — a gzip bomb?)",
                                self.decoded_out / 1_000_000,
                                self.consumed / 1000
                            ));
                            return;
                        }
                    }
                    match r {
                        Ok(Status::StreamEnd) => self.st = St::Trailer,
                        Ok(_) if used == 0 && made == 0 => {
                            // Needs more input than we have (or output space, which we always give).
                            if input.is_empty() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(e) => self.fail(format!(
                            "corrupt gzip data after {} decoded bytes: {e}",
                            self.decoded_out
                        )),
                    }
                }
                St::Trailer => {
                    let need = 8 - self.hdr.len();
                    let take = need.min(input.len());
                    self.hdr.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if self.hdr.len() == 8 {
                        let crc = u32::from_le_bytes([
                            self.hdr[0],
                            self.hdr[1],
                            self.hdr[2],
                            self.hdr[3],
                        ]);
                        let size = u32::from_le_bytes([
                            self.hdr[4],
                            self.hdr[5],
                            self.hdr[6],
                            self.hdr[7],
                        ]);
                        self.hdr.clear();
                        if crc != self.crc.sum() || size != self.crc.amount() {
                            self.fail("gzip checksum mismatch: the file is corrupt");
                        } else {
                            self.st = St::Done;
                        }
                    }
                }
            }
        }
    }

    /// Call at end of input: reports a truncated stream.
    pub fn finish(&mut self) {
        if self.error.is_none() {
            match self.st {
                St::Done => {}
                St::Header if self.members > 0 && self.hdr.is_empty() => {}
                _ => self.fail(format!(
                    "gzip stream is truncated: it ends after {} decoded bytes (a file still being written or cut short?)",
                    self.decoded_out
                )),
            }
        }
    }

    fn fail(&mut self, msg: impl Into<String>) {
        self.error = Some(msg.into());
    }
}

/// Parses a gzip member header. `Ok(Some(len))` when complete, `Ok(None)` when more bytes
/// are needed.
fn parse_header(h: &[u8]) -> Result<Option<usize>, String> {
    if h.len() < 10 {
        return Ok(None);
    }
    if h[0] != 0x1f || h[1] != 0x8b {
        return Err("not a gzip member (bad magic bytes)".into());
    }
    if h[2] != 8 {
        return Err(format!("unsupported gzip compression method {}", h[2]));
    }
    let flg = h[3];
    let mut i = 10;
    if flg & 4 != 0 {
        if h.len() < i + 2 {
            return Ok(None);
        }
        i += 2 + u16::from_le_bytes([h[i], h[i + 1]]) as usize;
    }
    for bit in [8u8, 16] {
        if flg & bit != 0 {
            match h.get(i..).and_then(|r| r.iter().position(|&b| b == 0)) {
                Some(z) => i += z + 1,
                None => return Ok(None),
            }
        }
    }
    if flg & 2 != 0 {
        i += 2;
    }
    if h.len() < i {
        return Ok(None);
    }
    Ok(Some(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode_chunked(data: &[u8], chunk: usize) -> (Vec<u8>, Option<String>) {
        let mut g = GzipStream::new();
        let mut out = Vec::new();
        for c in data.chunks(chunk.max(1)) {
            g.push(c, &mut |b| out.extend_from_slice(b));
        }
        g.finish();
        (out, g.error().map(str::to_string))
    }

    #[test]
    fn round_trip_any_chunking() {
        let text: Vec<u8> = (0..50_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let z = gz(&text);
        for chunk in [1, 7, 100, 4096, z.len()] {
            let (out, err) = decode_chunked(&z, chunk);
            assert_eq!(err, None, "chunk {chunk}");
            assert_eq!(out, text, "chunk {chunk}");
        }
    }

    #[test]
    fn multi_member() {
        let mut z = gz(b"a\nb\n");
        z.extend(gz(b"c\n"));
        let (out, err) = decode_chunked(&z, 3);
        assert_eq!(err, None);
        assert_eq!(out, b"a\nb\nc\n");
    }

    #[test]
    fn truncated_is_reported_and_prefix_kept() {
        let text: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let z = gz(&text);
        let (out, err) = decode_chunked(&z[..z.len() / 2], 1000);
        assert!(err.unwrap().contains("truncated"));
        assert!(!out.is_empty() && text.starts_with(&out));
    }

    #[test]
    fn corrupt_crc_is_reported() {
        let mut z = gz(b"hello\n");
        let n = z.len();
        z[n - 8] ^= 0xff;
        let (_, err) = decode_chunked(&z, 100);
        assert!(err.unwrap().contains("checksum"));
    }

    #[test]
    fn bomb_is_stopped() {
        let zeros = vec![0u8; 1 << 20];
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        for _ in 0..200 {
            e.write_all(&zeros).unwrap();
        }
        let z = e.finish().unwrap();
        let mut g = GzipStream::new();
        let mut n = 0u64;
        g.push(&z, &mut |b| n += b.len() as u64);
        assert!(g.error().unwrap().contains("bomb"), "{:?}", g.error());
        assert!(n < 200 << 20);
    }

    /// Review §3.2: members were handled by recursion plus a copy of the rest of the
    /// chunk, so ~100 k empty members (20 bytes each) in one push overflowed the stack.
    /// Run on a 256 KiB stack (smaller than the wasm worker's 1 MiB): it overflowed
    /// before the fix; now it is a loop.
    #[test]
    fn a_hundred_thousand_empty_members_in_one_push() {
        let empty = gz(b"");
        assert_eq!(empty.len(), 20, "an empty member is 20 bytes");
        let mut z: Vec<u8> = Vec::with_capacity(empty.len() * 100_001);
        for _ in 0..100_000 {
            z.extend_from_slice(&empty);
        }
        z.extend(gz(b"last\n"));
        let out = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let mut g = GzipStream::new();
                let mut out = Vec::new();
                g.push(&z, &mut |b| out.extend_from_slice(b));
                g.finish();
                assert_eq!(g.error(), None);
                assert_eq!(g.members, 100_001);
                out
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(out, b"last\n");
    }

    /// BGZF-style files: many members of at most 64 KiB, read in one big chunk and in
    /// odd chunk sizes (a header split across pushes).
    #[test]
    fn many_small_members_any_chunking() {
        let text: Vec<u8> = (0..200_000)
            .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
            .collect();
        let mut z = Vec::new();
        for part in text.chunks(60 << 10) {
            z.extend(gz(part));
        }
        for chunk in [3, 11, 4096, 65_536, z.len()] {
            let (out, err) = decode_chunked(&z, chunk);
            assert_eq!(err, None, "chunk {chunk}");
            assert!(out == text, "chunk {chunk}");
        }
    }
}
