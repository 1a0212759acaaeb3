use audit_lens::audit::policy::{load_policy, LoadOptions};
#[test]
fn dbg_hang() {
    let mut x: u64 = 0x12345678;
    let alphabet: Vec<char> = "ab:-[]{}'\"#|>&*!? \n\t,.0é~%\\".chars().collect();
    for case in 0..200000 {
        let mut s = String::new();
        let n = (case % 40) as usize;
        for _ in 0..n {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            s.push(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        let t = std::time::Instant::now();
        let _ = load_policy("p", &s, &LoadOptions::default());
        if t.elapsed().as_millis() > 200 { eprintln!("SLOW {:?} {:?}", s, t.elapsed()); break; }
    }
}
