//! A mergeable quantile sketch with a relative-error guarantee (the DDSketch idea: logarithmic buckets).
//!
//! A positive value `x` falls in bucket `k = ceil(ln x / ln γ)` with `γ = (1 + α) / (1 − α)`; the bucket is
//! represented by `2γ^k / (γ + 1)`, which is within a relative `α` of every value in `(γ^(k-1), γ^k]`. Two sketches
//! merge by adding bucket counts, so percentiles over any range come from merging stored windows — never from
//! rescanning raw data — with the same guarantee. Values at or below [`MIN_VALUE`] (and zero) share one bucket.
//!
//! Quantile definition (also used by the tests' exact reference): the value of rank `floor(q · (n − 1))` in the
//! sorted data, 0-based.

/// Relative accuracy of every quantile this sketch reports: 1 %.
pub const RELATIVE_ACCURACY: f64 = 0.01;
/// Values at or below this go to the zero bucket (reported as 0).
pub const MIN_VALUE: f64 = 1e-6;
const FORMAT: u8 = 1;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

/// Bucket counts are dense from the lowest key used (`offset`): latencies span a few hundred buckets at most,
/// and a vector merges and scans far faster than a map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sketch {
    zero: u64,
    offset: i32,
    counts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sketch encoding: {0}")]
pub struct DecodeError(&'static str);

/// Buckets one sketch may span (keys from 1e-6 to 1e300 at 1 % fit easily); beyond it, encoding is refused.
const MAX_SPAN: i64 = 100_000;

impl Sketch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn count(&self) -> u64 {
        self.zero + self.counts.iter().sum::<u64>()
    }

    pub fn add(&mut self, value: f64) {
        if value.is_nan() || value <= MIN_VALUE {
            self.zero += 1;
        } else {
            let key = (value.ln() / gamma().ln()).ceil();
            // Clamp absurd values (> 1e300) into the last bucket rather than overflowing.
            let key = key.clamp(-30_000.0, 30_000.0) as i32;
            self.bump(key, 1);
        }
    }

    /// Make room for `key` and add `n` to its bucket.
    fn bump(&mut self, key: i32, n: u64) {
        if self.counts.is_empty() {
            self.offset = key;
            self.counts.push(0);
        } else if key < self.offset {
            let grow = (self.offset - key) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = key;
        } else if (key - self.offset) as usize >= self.counts.len() {
            self.counts.resize((key - self.offset) as usize + 1, 0);
        }
        self.counts[(key - self.offset) as usize] += n;
    }

    pub fn merge(&mut self, other: &Sketch) {
        self.zero += other.zero;
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.offset = other.offset;
            self.counts = other.counts.clone();
            return;
        }
        // Widen once to cover both, then add.
        let last = other.offset + other.counts.len() as i32 - 1;
        self.bump(other.offset, 0);
        self.bump(last, 0);
        let start = (other.offset - self.offset) as usize;
        for (dst, src) in self.counts[start..].iter_mut().zip(&other.counts) {
            *dst += src;
        }
    }

    fn value_of(key: i32) -> f64 {
        let g = gamma();
        2.0 * (f64::from(key) * g.ln()).exp() / (g + 1.0)
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.quantiles(&[q]).pop().flatten()
    }

    /// Several quantiles in one pass (`qs` in any order); `None` each when empty.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<Option<f64>> {
        let n = self.count();
        if n == 0 {
            return vec![None; qs.len()];
        }
        let ranks: Vec<u64> = qs
            .iter()
            .map(|q| {
                let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
                (q * (n - 1) as f64).floor() as u64
            })
            .collect();
        let mut out = vec![None; qs.len()];
        let mut seen = self.zero;
        for (i, rank) in ranks.iter().enumerate() {
            if seen > *rank {
                out[i] = Some(0.0);
            }
        }
        for (i, c) in self.counts.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            seen += c;
            for (slot, rank) in out.iter_mut().zip(&ranks) {
                if slot.is_none() && seen > *rank {
                    *slot = Some(Self::value_of(self.offset + i as i32));
                }
            }
            if out.iter().all(Option::is_some) {
                break;
            }
        }
        out
    }

    /// Compact binary form: a format byte, the zero count, the number of non-empty buckets, then each as the
    /// zig-zag delta of its key and its count, all as LEB128 varints.
    pub fn encode(&self) -> Vec<u8> {
        let used = self.counts.iter().filter(|c| **c > 0).count();
        let mut out = Vec::with_capacity(4 + used * 2);
        out.push(FORMAT);
        put_varint(&mut out, self.zero);
        put_varint(&mut out, used as u64);
        let mut prev = 0i64;
        for (i, c) in self.counts.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            let key = i64::from(self.offset) + i as i64;
            let delta = key - prev;
            prev = key;
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
        let mut sketch = Sketch {
            zero,
            ..Sketch::default()
        };
        let mut pairs = Vec::with_capacity(usize::try_from(len.min(MAX_SPAN as u64)).unwrap_or(0));
        let mut prev = 0i64;
        for _ in 0..len {
            let z = get_varint(&mut rest)?;
            let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
            prev += delta;
            let key = i32::try_from(prev).map_err(|_| DecodeError("key out of range"))?;
            if pairs
                .last()
                .is_some_and(|(last, _): &(i32, u64)| *last >= key)
            {
                return Err(DecodeError("keys out of order"));
            }
            pairs.push((key, get_varint(&mut rest)?));
        }
        if !rest.is_empty() {
            return Err(DecodeError("trailing bytes"));
        }
        if let (Some((first, _)), Some((last, _))) = (pairs.first(), pairs.last()) {
            if i64::from(*last) - i64::from(*first) >= MAX_SPAN {
                return Err(DecodeError("keys too far apart"));
            }
            sketch.offset = *first;
            sketch.counts = vec![0; (last - first) as usize + 1];
            for (key, n) in pairs {
                sketch.counts[(key - sketch.offset) as usize] = n;
            }
        }
        Ok(sketch)
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
        assert_eq!(s.count(), 0);
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
