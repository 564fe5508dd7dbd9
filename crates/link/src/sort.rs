//! Sorting records by a 64-bit hash key (blocking keys, value hashes), in parallel: the
//! records are cut into one part per thread; each part is partitioned by the key's top bits
//! into its own stretch of a scratch buffer; then runs of buckets are gathered from every part
//! and sorted bucket by bucket — a few dozen items each. The result is exactly the
//! `(key, record)` list `sort_unstable` would give (every record appears once, so the order is
//! total), at a fraction of a comparison sort's cost on millions of records. Keys that are not
//! uniform still sort correctly, only slower. Equal keys are contiguous, so [`runs`] finds the
//! blocks of equal keys in parallel too.

use rayon::prelude::*;

/// Below this many records a plain sort is as fast.
const SMALL: usize = 1 << 15;

/// Fills `items` with `(key(i), i)` for every record `i < n`, sorted ascending (records whose
/// key is 0 — missing — included, first). `scratch` is reused between calls.
pub fn sort_by_key(
    n: usize,
    key: impl Fn(usize) -> u64 + Sync,
    items: &mut Vec<(u64, u32)>,
    scratch: &mut Vec<(u64, u32)>,
) {
    items.clear();
    if n < SMALL {
        items.extend((0..n).map(|i| (key(i), i as u32)));
        items.sort_unstable();
        return;
    }
    // About 64 records a bucket, between 2^10 and 2^18 buckets.
    let bits = (usize::BITS - (n / 64).leading_zeros()).clamp(10, 18);
    let shift = 64 - bits;
    let buckets = 1usize << bits;
    let bucket = |k: u64| (k >> shift) as usize;
    let parts = rayon::current_num_threads().clamp(1, 16);
    let bounds: Vec<usize> = (0..=parts).map(|t| n * t / parts).collect();
    // Each part: its bucket offsets (within its stretch), then its records scattered there.
    filled(scratch, n, (0, 0));
    let mut stretches: Vec<&mut [(u64, u32)]> = Vec::with_capacity(parts);
    let mut rest: &mut [(u64, u32)] = scratch.as_mut_slice();
    for t in 0..parts {
        let (s, tail) = rest.split_at_mut(bounds[t + 1] - bounds[t]);
        stretches.push(s);
        rest = tail;
    }
    let offsets: Vec<Vec<u32>> = stretches
        .into_par_iter()
        .enumerate()
        .map(|(t, stretch)| {
            let mut start = vec![0u32; buckets + 1];
            for i in bounds[t]..bounds[t + 1] {
                start[bucket(key(i)) + 1] += 1;
            }
            for b in 1..start.len() {
                start[b] += start[b - 1];
            }
            let mut next = start.clone();
            for i in bounds[t]..bounds[t + 1] {
                let k = key(i);
                let b = bucket(k);
                stretch[next[b] as usize] = (k, i as u32);
                next[b] += 1;
            }
            start
        })
        .collect();
    // Where each bucket starts in the result.
    let mut starts = vec![0usize; buckets + 1];
    for b in 0..buckets {
        let size: usize = offsets.iter().map(|o| (o[b + 1] - o[b]) as usize).sum();
        starts[b + 1] = starts[b] + size;
    }
    filled(items, n, (0, 0));
    // Runs of whole buckets of roughly equal size, gathered and sorted in parallel.
    let per_run = (n / 256).max(4096);
    let mut runs: Vec<(usize, &mut [(u64, u32)])> = Vec::new();
    let mut rest: &mut [(u64, u32)] = items.as_mut_slice();
    let mut b = 0;
    while b < buckets {
        let mut end = b + 1;
        while end < buckets && starts[end] - starts[b] < per_run {
            end += 1;
        }
        let (run, tail) = rest.split_at_mut(starts[end] - starts[b]);
        runs.push((b, run));
        rest = tail;
        b = end;
    }
    let scratch: &[(u64, u32)] = scratch;
    let (starts, offsets, bounds) = (&starts, &offsets, &bounds);
    runs.into_par_iter().for_each(|(first, run)| {
        let base = starts[first];
        let mut b = first;
        while b < buckets && starts[b] - base < run.len() {
            let (s, e) = (starts[b] - base, starts[b + 1] - base);
            let mut at = s;
            for (t, o) in offsets.iter().enumerate() {
                let piece = &scratch[bounds[t] + o[b] as usize..bounds[t] + o[b + 1] as usize];
                run[at..at + piece.len()].copy_from_slice(piece);
                at += piece.len();
            }
            run[s..e].sort_unstable();
            b += 1;
        }
    });
}

/// Empties `v` and fills it with `n` copies of `value`, written by every thread. Memory a run
/// touches for the first time costs a page fault every 4 KiB (the kernel zeroes the page, and
/// on a VM whose host takes free memory back, the host first hands it over again): hundreds of
/// megabytes filled by one thread were a second of a 5M-record run with the other core idle.
pub fn filled<T: Copy + Send + Sync>(v: &mut Vec<T>, n: usize, value: T) {
    v.clear();
    if n < SMALL {
        v.resize(n, value);
    } else {
        v.reserve(n);
        v.par_extend(rayon::iter::repeat_n(value, n));
    }
}

/// The runs of two or more equal non-zero keys in sorted `items`, as index ranges in order,
/// in `out` (emptied first; reused from one call to the next, so its memory is not faulted in
/// again).
pub fn runs(items: &[(u64, u32)], out: &mut Vec<(usize, usize)>) {
    let n = items.len();
    let pieces = if n < SMALL { 1 } else { 64 };
    // Cut points moved forward to the next change of key, so no run is cut.
    let mut cuts: Vec<usize> = (0..=pieces)
        .map(|p| {
            let mut c = n * p / pieces;
            while c > 0 && c < n && items[c].0 == items[c - 1].0 {
                c += 1;
            }
            c
        })
        .collect();
    cuts.dedup();
    let found: Vec<Vec<(usize, usize)>> = cuts
        .par_windows(2)
        .map(|w| {
            let mut out = Vec::new();
            let mut start = w[0];
            while start < w[1] {
                let key = items[start].0;
                let mut end = start + 1;
                while end < n && items[end].0 == key {
                    end += 1;
                }
                if key != 0 && end - start >= 2 {
                    out.push((start, end));
                }
                start = end;
            }
            out
        })
        .collect();
    out.clear();
    out.reserve(found.iter().map(Vec::len).sum());
    for piece in &found {
        out.extend_from_slice(piece);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(keys: &[u64]) {
        let mut expected: Vec<(u64, u32)> = keys
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i as u32))
            .collect();
        expected.sort_unstable();
        let (mut items, mut scratch) = (Vec::new(), Vec::new());
        sort_by_key(keys.len(), |i| keys[i], &mut items, &mut scratch);
        assert_eq!(items, expected);
        let mut naive = Vec::new();
        let mut s = 0;
        while s < expected.len() {
            let mut e = s + 1;
            while e < expected.len() && expected[e].0 == expected[s].0 {
                e += 1;
            }
            if expected[s].0 != 0 && e - s >= 2 {
                naive.push((s, e));
            }
            s = e;
        }
        let mut found = vec![(7, 7)];
        runs(&items, &mut found);
        assert_eq!(found, naive);
    }

    #[test]
    fn hashed_keys_sort_like_sort_unstable() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let keys: Vec<u64> = (0..300_000u32)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Repeated keys, as blocks have, and some missing.
                if i % 11 == 0 {
                    0
                } else {
                    (x % 50_000).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                }
            })
            .collect();
        check(&keys);
    }

    #[test]
    fn skewed_keys_still_sort() {
        // Nearly everything in one bucket, and a few far away.
        let mut keys: Vec<u64> = (0..100_000u64).map(|i| (i * 7919) % 7).collect();
        keys.push(u64::MAX);
        keys.push(1 << 63);
        keys.reverse();
        check(&keys);
    }

    proptest! {
        #[test]
        fn any_keys_sort(keys in proptest::collection::vec(any::<u64>(), 0..2000), big in any::<bool>()) {
            let mut keys = keys;
            if big && !keys.is_empty() {
                // Past the small-list shortcut, with repeats.
                let more: Vec<u64> = (0..SMALL).map(|i| keys[i % keys.len()]).collect();
                keys.extend(more);
            }
            check(&keys);
        }
    }
}
