//! A mergeable quantile sketch with a relative-error guarantee (the DDSketch idea: logarithmic buckets).
//!
//! A positive value `x` falls in bucket `k = ceil(ln x / ln γ)` with `γ = (1 + α) / (1 − α)`; the bucket is
//! represented by `2γ^k / (γ + 1)`, which is within a relative `α` of every value in `(γ^(k-1), γ^k]`. Two sketches
//! merge by adding bucket counts, so percentiles over any range come from merging stored windows — never from
//! rescanning raw data — with the same guarantee. Values at or below [`MIN_VALUE`] (and zero) share one bucket.
//!
//! Quantile definition (also used by the tests' exact reference): the value of rank `floor(q · (n − 1))` in the
//! sorted data, 0-based.

use std::collections::BTreeMap;

/// Relative accuracy of every quantile this sketch reports: 1 %.
pub const RELATIVE_ACCURACY: f64 = 0.01;
/// Values at or below this go to the zero bucket (reported as 0).
pub const MIN_VALUE: f64 = 1e-6;
const FORMAT: u8 = 1;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sketch {
    zero: u64,
    bins: BTreeMap<i32, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sketch encoding: {0}")]
pub struct DecodeError(&'static str);

impl Sketch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn count(&self) -> u64 {
        self.zero + self.bins.values().sum::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    pub fn add(&mut self, value: f64) {
        self.add_n(value, 1);
    }

    fn add_n(&mut self, value: f64, n: u64) {
        if value.is_nan() || value <= MIN_VALUE {
            self.zero += n;
        } else {
            let key = (value.ln() / gamma().ln()).ceil();
            // Clamp absurd values (> 1e300) into the last bucket rather than overflowing.
            let key = key.clamp(f64::from(i32::MIN + 1), f64::from(i32::MAX - 1)) as i32;
            *self.bins.entry(key).or_default() += n;
        }
    }

    pub fn merge(&mut self, other: &Sketch) {
        self.zero += other.zero;
        for (k, n) in &other.bins {
            *self.bins.entry(*k).or_default() += n;
        }
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let rank = (q * (n - 1) as f64).floor() as u64;
        let mut seen = self.zero;
        if seen > rank {
            return Some(0.0);
        }
        let g = gamma();
        for (k, c) in &self.bins {
            seen += c;
            if seen > rank {
                return Some(2.0 * g.powi(*k) / (g + 1.0));
            }
        }
        unreachable!("rank {rank} is below the count {n}")
    }

    /// Compact binary form: a format byte, the zero count, the number of buckets, then each bucket as the
    /// zig-zag delta of its key and its count, all as LEB128 varints.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.bins.len() * 2);
        out.push(FORMAT);
        put_varint(&mut out, self.zero);
        put_varint(&mut out, self.bins.len() as u64);
        let mut prev = 0i64;
        for (k, c) in &self.bins {
            let delta = i64::from(*k) - prev;
            prev = i64::from(*k);
            put_varint(&mut out, ((delta << 1) ^ (delta >> 63)) as u64);
            put_varint(&mut out, *c);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut rest = bytes;
        match rest.split_first() {
            Some((&FORMAT, tail)) => rest = tail,
            Some(_) => return Err(DecodeError("unknown format")),
            None => return Err(DecodeError("empty")),
        }
        let zero = get_varint(&mut rest)?;
        let len = get_varint(&mut rest)?;
        let mut bins = BTreeMap::new();
        let mut prev = 0i64;
        for _ in 0..len {
            let z = get_varint(&mut rest)?;
            let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
            prev += delta;
            let key = i32::try_from(prev).map_err(|_| DecodeError("key out of range"))?;
            bins.insert(key, get_varint(&mut rest)?);
        }
        if !rest.is_empty() {
            return Err(DecodeError("trailing bytes"));
        }
        Ok(Self { zero, bins })
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(rest: &mut &[u8]) -> Result<u64, DecodeError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, tail) = rest.split_first().ok_or(DecodeError("truncated"))?;
        *rest = tail;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(DecodeError("varint too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift) so the test data is the same on every run.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        /// Latency-like: log-normal-ish around 40 ms with a long tail and some sub-millisecond values.
        fn latency(&mut self) -> f64 {
            let u = self.next().max(1e-12);
            let v = self.next();
            let normal = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
            (40.0f64.ln() + 1.2 * normal).exp()
        }
    }

    fn exact(sorted: &[f64], q: f64) -> f64 {
        sorted[(q * (sorted.len() - 1) as f64).floor() as usize]
    }

    #[test]
    fn merged_windows_agree_with_exact_percentiles_within_one_percent() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let mut all = Vec::new();
        // 90 "windows" of varying size, merged after an encode/decode round trip each, as the store does.
        let mut merged = Sketch::new();
        for w in 0..90 {
            let mut window = Sketch::new();
            for _ in 0..(50 + w * 7) {
                let x = g.latency();
                all.push(x);
                window.add(x);
            }
            merged.merge(&Sketch::decode(&window.encode()).expect("a value"));
        }
        all.sort_by(f64::total_cmp);
        assert_eq!(merged.count(), all.len() as u64);
        for q in [0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0] {
            let want = exact(&all, q);
            let got = merged.quantile(q).expect("a value");
            let err = (got - want).abs() / want;
            assert!(
                err <= RELATIVE_ACCURACY,
                "q={q}: got {got}, exact {want}, error {err}"
            );
        }
    }

    #[test]
    fn zeros_and_tiny_values_and_empty() {
        let mut s = Sketch::new();
        assert_eq!(s.quantile(0.5), None);
        assert!(s.is_empty());
        s.add(0.0);
        s.add(1e-9);
        s.add(f64::NAN);
        s.add(5.0);
        assert_eq!(s.count(), 4);
        assert_eq!(s.quantile(0.5), Some(0.0));
        let top = s.quantile(1.0).expect("a value");
        assert!((top - 5.0).abs() / 5.0 <= RELATIVE_ACCURACY);
    }

    #[test]
    fn encoding_round_trips_and_rejects_damage() {
        let mut s = Sketch::new();
        for x in [0.0, 0.3, 1.0, 2.5, 2.5, 100.0, 60_000.0] {
            s.add(x);
        }
        let bytes = s.encode();
        assert_eq!(Sketch::decode(&bytes).expect("a value"), s);
        assert!(bytes.len() < 24, "{} bytes", bytes.len());
        assert!(Sketch::decode(&[]).is_err());
        assert!(Sketch::decode(&[9, 0, 0]).is_err());
        assert!(Sketch::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut long = bytes.clone();
        long.push(0);
        assert!(Sketch::decode(&long).is_err());
        assert_eq!(
            Sketch::decode(&Sketch::new().encode()).expect("a value"),
            Sketch::new()
        );
    }
}
