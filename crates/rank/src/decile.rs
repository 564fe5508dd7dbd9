//! Ranks and population-weighted deciles: families sorted by score (poorest first; ties by
//! family id, so the result is deterministic), each family's decile from the share of persons
//! ranked before it plus half its own: each decile holds about 10% of persons.

use rayon::prelude::*;

/// Ranks and deciles of the families passed in (same order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ranked {
    /// National rank, 1 = lowest score.
    pub rank: Vec<u64>,
    /// National decile 1–10.
    pub national: Vec<u8>,
    /// Relative position, 0–100: the share of persons ranked below the family plus half its
    /// own, in percent (what the export calls `skor_kesejahteraan`: a position, not rupiah).
    pub position: Vec<f64>,
    /// Decile within the family's first grouping (province).
    pub province: Vec<u8>,
    /// Decile within the second grouping (regency/city).
    pub regency: Vec<u8>,
}

/// A key that sorts like the score (total order on f64) then the id.
fn key(score: f64, id: i64) -> (u64, i64) {
    let b = score.to_bits();
    let k = if b >> 63 == 1 { !b } else { b | (1 << 63) };
    (k, id)
}

fn decile_of(before: u64, persons: u64, total: u64) -> u8 {
    if total == 0 {
        return 1;
    }
    let mid = 2 * before + persons; // twice the midpoint
    ((10 * mid) / (2 * total)).min(9) as u8 + 1
}

/// Ranks families. `province` and `regency` are dense group numbers (any u32 labels).
pub fn deciles(
    scores: &[f64],
    persons: &[u32],
    ids: &[i64],
    province: &[u32],
    regency: &[u32],
) -> Ranked {
    let n = scores.len();
    // Sort the keys with their index (contiguous, no random reads while sorting).
    let mut keyed: Vec<(u64, i64, u32)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (k, id) = key(scores[i], ids[i]);
            (k, id, i as u32)
        })
        .collect();
    keyed.par_sort_unstable();
    let order: Vec<u32> = keyed.into_par_iter().map(|k| k.2).collect();
    let total: u64 = persons.par_iter().map(|&p| u64::from(p)).sum();
    let mut out = Ranked {
        rank: vec![0; n],
        national: vec![0; n],
        position: vec![0.0; n],
        province: vec![0; n],
        regency: vec![0; n],
    };
    let mut before = 0u64;
    for (r, &i) in order.iter().enumerate() {
        let i = i as usize;
        let p = u64::from(persons[i]);
        out.rank[i] = r as u64 + 1;
        out.national[i] = decile_of(before, p, total);
        out.position[i] = if total == 0 {
            0.0
        } else {
            ((2 * before + p) as f64 * 5000.0 / total as f64).round() / 100.0
        };
        before += p;
    }
    for (groups, target) in [(province, &mut out.province), (regency, &mut out.regency)] {
        let mut labels: Vec<u32> = groups.to_vec();
        labels.par_sort_unstable();
        labels.dedup();
        let dense: Vec<u32> = groups
            .par_iter()
            .map(|g| labels.binary_search(g).unwrap_or(0) as u32)
            .collect();
        let mut totals = vec![0u64; labels.len()];
        for (i, &g) in dense.iter().enumerate() {
            totals[g as usize] += u64::from(persons[i]);
        }
        let mut seen = vec![0u64; labels.len()];
        for &i in &order {
            let i = i as usize;
            let g = dense[i] as usize;
            let p = u64::from(persons[i]);
            target[i] = decile_of(seen[g], p, totals[g]);
            seen[g] += p;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn poorest_first_and_ties_by_id() {
        let r = deciles(
            &[3.0, 1.0, 2.0, 1.0],
            &[1, 1, 1, 1],
            &[4, 3, 2, 1],
            &[0; 4],
            &[0; 4],
        );
        assert_eq!(r.rank, vec![4, 2, 3, 1]);
        assert_eq!(r.national[3], 2);
        assert_eq!(r.national[0], 9);
    }

    proptest! {
        #[test]
        fn deciles_hold_about_a_tenth_of_persons(
            fam in proptest::collection::vec((0.0f64..1.0, 1u32..9, 0u32..3), 2000..4000)
        ) {
            let scores: Vec<f64> = fam.iter().map(|f| f.0).collect();
            let persons: Vec<u32> = fam.iter().map(|f| f.1).collect();
            let groups: Vec<u32> = fam.iter().map(|f| f.2).collect();
            let ids: Vec<i64> = (0..fam.len() as i64).collect();
            let r = deciles(&scores, &persons, &ids, &groups, &groups);
            let total: u64 = persons.iter().map(|&p| u64::from(p)).sum();
            let mut per = [0u64; 10];
            for (i, d) in r.national.iter().enumerate() {
                per[*d as usize - 1] += u64::from(persons[i]);
            }
            // A decile can miss 10% by at most the largest family (8 persons) on each side.
            for p in per {
                let share = p as f64 / total as f64;
                prop_assert!((share - 0.1).abs() <= 16.0 / total as f64 + 1e-9, "{per:?}");
            }
            // Deciles never go down as the score goes up.
            let mut order: Vec<usize> = (0..fam.len()).collect();
            order.sort_by_key(|&i| key(scores[i], ids[i]));
            prop_assert!(order.windows(2).all(|w| r.national[w[0]] <= r.national[w[1]]));
        }
    }
}
