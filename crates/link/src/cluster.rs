//! Clustering: connected components of the accepted links, then two checks that send a cluster
//! to review instead of merging it silently: a *bridge* (the only link between two parts of at
//! least two records each) below the bridge threshold is cut; a cluster holding two different
//! valid identifiers (NIKs that are not one typo apart) is split by identifier, the records
//! without one joining the part they are most strongly linked to.

use rayon::prelude::*;
use serde::Serialize;

use crate::compare::nik_relation;
use crate::data::Feature;

/// An accepted link.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    /// Left record.
    pub a: u32,
    /// Right record.
    pub b: u32,
    /// Match probability (1 for deterministic links).
    pub p: f64,
    /// Match weight (log2 Bayes factor): unlike the probability it does not saturate, so it
    /// ranks strong links against each other.
    pub w: f64,
}

/// Why a cluster went to review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// Two different valid identifiers linked together.
    DistinctIdentifiers,
    /// A weak bridge between two groups was cut.
    WeakBridge,
}

/// A case for a person to review.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewCase {
    /// Review number (1, 2, …), also written in `clusters.csv`.
    pub id: usize,
    /// Why.
    pub reason: ReviewReason,
    /// Every record of the original component (indices).
    pub records: Vec<u32>,
    /// The clusters it was split into (each a list of record indices).
    pub parts: Vec<Vec<u32>>,
    /// The links that were cut or that join different identifiers.
    pub edges: Vec<(u32, u32, f64)>,
}

/// The clustering result.
#[derive(Debug, Default)]
pub struct Clusters {
    /// Cluster number per record (the smallest record index in the cluster).
    pub cluster: Vec<u32>,
    /// Review number per record (0 = none).
    pub review: Vec<u32>,
    /// The review cases.
    pub cases: Vec<ReviewCase>,
}

struct UnionFind(Vec<u32>);
impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind((0..n as u32).collect())
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = p;
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi as usize] = lo;
        }
    }
}

/// Clusters `n` records from accepted edges; `distinct` is the identifier feature, if any.
pub fn cluster(
    n: usize,
    edges: &[Edge],
    distinct: Option<Identifiers<'_>>,
    bridge_min: f64,
) -> Clusters {
    let mut uf = UnionFind::new(n);
    for e in edges {
        uf.union(e.a, e.b);
    }
    let root: Vec<u32> = (0..n as u32).map(|i| uf.find(i)).collect();
    // Edges grouped by component without sorting them: a counting sort of the edges by their
    // component's root. `begin[r]` starts as the end of root r's edges and is walked back as
    // they are placed from the last, so that `begin[r]..begin[r + 1]` ends up root r's edges,
    // in edge order. The edges themselves are placed (not their numbers), so each component's
    // check reads its edges side by side instead of at random places in memory; each edge's
    // root is looked up once, in a loop of lookups independent of one another.
    let roots: Vec<u32> = edges.iter().map(|e| root[e.a as usize]).collect();
    let mut begin = vec![0u32; n + 1];
    for &r in &roots {
        begin[r as usize] += 1;
    }
    let mut sum = 0;
    for b in &mut begin {
        sum += *b;
        *b = sum;
    }
    let mut grouped = vec![
        Edge {
            a: 0,
            b: 0,
            p: 0.0,
            w: 0.0,
        };
        edges.len()
    ];
    for (e, &r) in edges.iter().zip(&roots).rev() {
        let r = r as usize;
        begin[r] -= 1;
        grouped[begin[r] as usize] = *e;
    }
    drop(roots);
    // Only components that are split or flagged come back (a component's root is its
    // smallest record, which is already its cluster number). Most need neither check and are
    // recognised without copying their edges.
    let results: Vec<Split> = (0..n)
        .into_par_iter()
        .with_min_len(4096)
        .filter_map(|r| {
            let es = &grouped[begin[r] as usize..begin[r + 1] as usize];
            if es.is_empty() || settled(es.iter(), distinct, bridge_min) {
                return None;
            }
            // The full check sees the edges in one canonical order.
            let mut es = es.to_vec();
            es.sort_unstable_by_key(|e| (e.a, e.b));
            let result = split_component(&es, distinct, bridge_min);
            (result.0.len() > 1 || result.1.is_some()).then_some(result)
        })
        .collect();
    let mut cluster = root.clone();
    let mut review = vec![0u32; n];
    let mut cases = Vec::new();
    for (parts, flag) in results {
        for part in &parts {
            let min = part.iter().copied().min().unwrap_or(0);
            for &r in part {
                cluster[r as usize] = min;
            }
        }
        if let Some((reason, cut)) = flag {
            let id = cases.len() + 1;
            let mut records: Vec<u32> = parts.iter().flatten().copied().collect();
            records.sort_unstable();
            for &r in &records {
                review[r as usize] = id as u32;
            }
            cases.push(ReviewCase {
                id,
                reason,
                records,
                parts,
                edges: cut,
            });
        }
    }
    Clusters {
        cluster,
        review,
        cases,
    }
}

/// The identifier that must not be merged: its feature and, if an authoritative source is
/// configured, the values that source holds.
#[derive(Clone, Copy)]
pub struct Identifiers<'a> {
    /// The identifier comparison's feature.
    pub feature: &'a Feature,
    /// Values confirmed by the authoritative source (sorted), if there is one. Then only those
    /// count, and two of them are two entities even when they look like a typo of each other
    /// (two people born a day apart in one village).
    pub confirmed: Option<&'a [u64]>,
}

/// Whether a component stays whole without review: every link at least `bridge_min` (no bridge
/// can be cut) and every two identifiers among its records the same (equal, or one typo apart
/// where that counts). A single link is never a bridge between two groups of two. It does not
/// depend on the order of the edges; anything it cannot settle (more than a few distinct
/// identifiers) goes to the full check.
fn settled<'e>(
    edges: impl Iterator<Item = &'e Edge> + Clone,
    distinct: Option<Identifiers<'_>>,
    bridge_min: f64,
) -> bool {
    let mut all = edges.clone();
    let single = all.next().is_some() && all.next().is_none();
    if !single && edges.clone().any(|e| e.p < bridge_min) {
        return false;
    }
    let Some(d) = distinct else { return true };
    // One valid identifier or none among the records (most components): whichever of them
    // count, they agree.
    let mut first = None;
    let one = edges.clone().flat_map(|e| [e.a, e.b]).all(|r| {
        match (raw_identifier(d, r as usize), first) {
            (None, _) => true,
            (Some(v), None) => {
                first = Some(v);
                true
            }
            (Some(v), Some(f)) => v == f,
        }
    });
    if one {
        return true;
    }
    const FEW: usize = 4;
    let mut seen = [0u64; FEW];
    let mut n = 0;
    for r in edges.flat_map(|e| [e.a, e.b]) {
        let Some(v) = identifier(d, r as usize) else {
            continue;
        };
        if seen[..n].contains(&v) {
            continue;
        }
        if n == FEW || seen[..n].iter().any(|&f| !same_identifier(d, f, v)) {
            return false;
        }
        seen[n] = v;
        n += 1;
    }
    true
}

type Split = (Vec<Vec<u32>>, Option<(ReviewReason, Vec<(u32, u32, f64)>)>);

/// Cuts weak bridges and splits distinct identifiers in a component that is not [`settled`]
/// (its edges in (a, b) order).
fn split_component(edges: &[Edge], distinct: Option<Identifiers<'_>>, bridge_min: f64) -> Split {
    // One link that is not settled joins two different identifiers: two clusters.
    if let [e] = edges {
        return (
            vec![vec![e.a], vec![e.b]],
            Some((ReviewReason::DistinctIdentifiers, vec![(e.a, e.b, e.p)])),
        );
    }
    let mut nodes: Vec<u32> = edges.iter().flat_map(|e| [e.a, e.b]).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let local = |x: u32| nodes.binary_search(&x).unwrap_or(0);
    let k = nodes.len();
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); k];
    for (ei, e) in edges.iter().enumerate() {
        let (a, b) = (local(e.a), local(e.b));
        adj[a].push((b, ei));
        adj[b].push((a, ei));
    }
    let mut removed = vec![false; edges.len()];
    let mut reason = None;
    let mut flagged = Vec::new();
    if k >= 4 {
        for ei in bridges(&adj) {
            if edges[ei].p >= bridge_min {
                continue;
            }
            removed[ei] = true;
            let (a, b) = (local(edges[ei].a), local(edges[ei].b));
            let sa = reach(&adj, &removed, a).len();
            let sb = reach(&adj, &removed, b).len();
            if sa >= 2 && sb >= 2 {
                reason = Some(ReviewReason::WeakBridge);
                flagged.push((edges[ei].a, edges[ei].b, edges[ei].p));
            } else {
                removed[ei] = false;
            }
        }
    }
    // Parts after cutting.
    let mut seen = vec![false; k];
    let mut parts: Vec<Vec<usize>> = Vec::new();
    for s in 0..k {
        if !seen[s] {
            let part = reach(&adj, &removed, s);
            for &x in &part {
                seen[x] = true;
            }
            parts.push(part);
        }
    }
    // Distinct identifiers within each part.
    let mut out: Vec<Vec<u32>> = Vec::new();
    if let Some(ids) = distinct {
        for part in parts {
            match split_identifiers(&part, &nodes, &adj, &removed, edges, ids) {
                Some((groups, joined)) => {
                    reason = Some(ReviewReason::DistinctIdentifiers);
                    flagged.extend(joined);
                    out.extend(groups);
                }
                None => out.push(part.iter().map(|&x| nodes[x]).collect()),
            }
        }
    } else {
        out.extend(
            parts
                .into_iter()
                .map(|p| p.iter().map(|&x| nodes[x]).collect()),
        );
    }
    (out, reason.map(|r| (r, flagged)))
}

/// Record `record`'s valid identifier, whether or not the authority holds it.
fn raw_identifier(ids: Identifiers<'_>, record: usize) -> Option<u64> {
    if !ids.feature.is_valid(record) {
        return None;
    }
    let v = match ids.feature {
        Feature::Nik { values, .. } => values[record],
        Feature::Exact { hashes, .. } => hashes[record],
        _ => return None,
    };
    (v != 0).then_some(v)
}

/// Record `record`'s identifier as the checks count it: valid, and held by the authority if
/// one is configured. Looked up only in the few components holding two or more different valid
/// identifiers ([`settled`] sees the others whole without it), so a binary search suffices.
fn identifier(ids: Identifiers<'_>, record: usize) -> Option<u64> {
    let v = raw_identifier(ids, record)?;
    match ids.confirmed {
        Some(c) if c.binary_search(&v).is_err() => None,
        _ => Some(v),
    }
}

fn same_identifier(ids: Identifiers<'_>, x: u64, y: u64) -> bool {
    match ids.feature {
        Feature::Nik { .. } if ids.confirmed.is_none() => nik_relation(x, y).agrees(),
        _ => x == y,
    }
}

#[allow(clippy::type_complexity)]
fn split_identifiers(
    part: &[usize],
    nodes: &[u32],
    adj: &[Vec<(usize, usize)>],
    removed: &[bool],
    edges: &[Edge],
    ids: Identifiers<'_>,
) -> Option<(Vec<Vec<u32>>, Vec<(u32, u32, f64)>)> {
    // Group the identifiers present (one typo apart = the same, unless the authority holds both).
    let mut values: Vec<u64> = part
        .iter()
        .filter_map(|&x| identifier(ids, nodes[x] as usize))
        .collect();
    values.sort_unstable();
    values.dedup();
    if values.len() < 2 {
        return None;
    }
    let mut group_of_value: Vec<usize> = (0..values.len()).collect();
    for i in 0..values.len() {
        for j in 0..i {
            if same_identifier(ids, values[i], values[j]) {
                let g = group_of_value[j];
                let old = group_of_value[i];
                for v in group_of_value.iter_mut() {
                    if *v == old {
                        *v = g;
                    }
                }
            }
        }
    }
    let mut distinct_groups: Vec<usize> = group_of_value.clone();
    distinct_groups.sort_unstable();
    distinct_groups.dedup();
    if distinct_groups.len() < 2 {
        return None;
    }
    let mut group = vec![usize::MAX; adj.len()];
    let group_of = |x: usize| {
        identifier(ids, nodes[x] as usize)
            .and_then(|v| values.binary_search(&v).ok())
            .map(|pos| group_of_value[pos])
    };
    let mut carriers = vec![0u32; values.len()];
    for &x in part {
        if let Some(g) = group_of(x) {
            carriers[g] += 1;
        }
    }
    for &x in part {
        let Some(g) = group_of(x) else { continue };
        // A record is held by its identifier unless others carry that identifier and its
        // strongest link to a record with an identifier goes to another group: a child's row
        // carrying its parent's NIK links weakly to the parent (NIK only) and strongly to the
        // child (name, birth date). The only carrier of an identifier always holds it.
        if carriers[g] < 2 {
            group[x] = g;
            continue;
        }
        let strongest = adj[x]
            .iter()
            .filter(|&&(y, ei)| !removed[ei] && group_of(y).is_some())
            .max_by(|a, b| edges[a.1].w.total_cmp(&edges[b.1].w).then(b.0.cmp(&a.0)));
        match strongest {
            Some(&(y, _)) if group_of(y) != Some(g) => {}
            _ => group[x] = g,
        }
    }
    // The rest join the group of their strongest link, nearest first.
    loop {
        let mut changed = false;
        for &x in part {
            if group[x] != usize::MAX {
                continue;
            }
            let mut score: Vec<(usize, f64)> = Vec::new();
            for &(y, ei) in &adj[x] {
                if removed[ei] || group[y] == usize::MAX {
                    continue;
                }
                match score.iter_mut().find(|s| s.0 == group[y]) {
                    Some(s) => s.1 = s.1.max(edges[ei].w),
                    None => score.push((group[y], edges[ei].w)),
                }
            }
            if let Some(best) = score
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            {
                group[x] = best.0;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut groups: Vec<(usize, Vec<u32>)> = Vec::new();
    for &x in part {
        let g = group[x];
        match groups.iter_mut().find(|e| e.0 == g) {
            Some(e) => e.1.push(nodes[x]),
            None => groups.push((g, vec![nodes[x]])),
        }
    }
    let mut joined = Vec::new();
    for &x in part {
        for &(y, ei) in &adj[x] {
            if x < y && !removed[ei] && group[x] != group[y] {
                joined.push((nodes[x], nodes[y], edges[ei].p));
            }
        }
    }
    Some((groups.into_iter().map(|g| g.1).collect(), joined))
}

fn reach(adj: &[Vec<(usize, usize)>], removed: &[bool], start: usize) -> Vec<usize> {
    let mut seen = vec![false; adj.len()];
    let mut stack = vec![start];
    seen[start] = true;
    let mut out = Vec::new();
    while let Some(x) = stack.pop() {
        out.push(x);
        for &(y, ei) in &adj[x] {
            if !removed[ei] && !seen[y] {
                seen[y] = true;
                stack.push(y);
            }
        }
    }
    out
}

/// Bridges of an undirected graph (iterative Tarjan), as edge indices.
fn bridges(adj: &[Vec<(usize, usize)>]) -> Vec<usize> {
    let k = adj.len();
    let mut disc = vec![usize::MAX; k];
    let mut low = vec![0usize; k];
    let mut out = Vec::new();
    let mut time = 0;
    for s in 0..k {
        if disc[s] != usize::MAX {
            continue;
        }
        // Stack of (node, parent edge, next neighbour position).
        let mut stack: Vec<(usize, usize, usize)> = vec![(s, usize::MAX, 0)];
        disc[s] = time;
        low[s] = time;
        time += 1;
        while let Some(&mut (x, pe, ref mut pos)) = stack.last_mut() {
            if *pos < adj[x].len() {
                let (y, ei) = adj[x][*pos];
                *pos += 1;
                if ei == pe {
                    continue;
                }
                if disc[y] == usize::MAX {
                    disc[y] = time;
                    low[y] = time;
                    time += 1;
                    stack.push((y, ei, 0));
                } else {
                    low[x] = low[x].min(disc[y]);
                }
            } else {
                stack.pop();
                if let Some(&(p, _, _)) = stack.last() {
                    low[p] = low[p].min(low[x]);
                    if low[x] > disc[p] {
                        out.push(pe);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clusters with `nik` as the identifier and a bridge threshold of 0.99.
    fn by_nik(n: usize, edges: &[Edge], nik: &Feature, confirmed: Option<&[u64]>) -> Clusters {
        let ids = Identifiers {
            feature: nik,
            confirmed,
        };
        cluster(n, edges, Some(ids), 0.99)
    }

    fn e(a: u32, b: u32, p: f64) -> Edge {
        Edge {
            a,
            b,
            p,
            w: (p / (1.0 - p).max(1e-12)).log2(),
        }
    }

    #[test]
    fn components_without_checks() {
        let c = cluster(5, &[e(0, 1, 0.9), e(1, 2, 0.9), e(3, 4, 0.9)], None, 0.99);
        assert_eq!(c.cluster, vec![0, 0, 0, 3, 3]);
        assert!(c.cases.is_empty());
    }

    #[test]
    fn a_weak_bridge_between_two_groups_is_cut_and_reviewed() {
        // {0,1} strongly linked, {2,3} strongly linked, 1–2 weakly.
        let edges = [e(0, 1, 0.999), e(2, 3, 0.999), e(1, 2, 0.6)];
        let c = cluster(4, &edges, None, 0.99);
        assert_eq!(c.cluster, vec![0, 0, 2, 2]);
        assert_eq!(c.cases.len(), 1);
        assert_eq!(c.cases[0].reason, ReviewReason::WeakBridge);
        assert!(c.review.iter().all(|&r| r == 1));
        // A strong bridge stays.
        let edges = [e(0, 1, 0.999), e(2, 3, 0.999), e(1, 2, 0.995)];
        let c = cluster(4, &edges, None, 0.99);
        assert_eq!(c.cluster, vec![0, 0, 0, 0]);
        assert!(c.cases.is_empty());
    }

    #[test]
    fn strong_links_never_hide_two_identifiers() {
        // Every link certain, so only the identifiers can stop a merge: 0 and 2 are two people
        // (same birth prefix, other serial) joined through 1, which has no valid NIK; 3 and 4
        // carry the same NIK; 5 and 6, a look-alike pair.
        let nik = Feature::Nik {
            values: vec![
                3571011502490001,
                3571011502490001,
                3571011502490002,
                3571012003850001,
                3571012003850001,
                3571010101010001,
                3571010101010007,
            ],
            valid: vec![true, false, true, true, true, true, true],
        };
        let edges = [
            e(0, 1, 0.999),
            e(1, 2, 0.999),
            e(3, 4, 0.999),
            e(5, 6, 0.999),
        ];
        let c = by_nik(7, &edges, &nik, None);
        assert_ne!(c.cluster[0], c.cluster[2]);
        assert_eq!(c.cluster[3], c.cluster[4]);
        assert_eq!(c.cases.len(), 2, "{:?}", c.cases);
        assert!(c
            .cases
            .iter()
            .all(|k| k.reason == ReviewReason::DistinctIdentifiers));
        // The authority holds 0's NIK and 5's only: 2's and 6's count as errors, nothing split.
        let confirmed = [3571010101010001u64, 3571011502490001];
        let c = by_nik(7, &edges, &nik, Some(&confirmed));
        assert!(c.cases.is_empty(), "{:?}", c.cases);
        assert_eq!(c.cluster, vec![0, 0, 0, 3, 3, 5, 5]);
    }

    #[test]
    fn two_valid_niks_are_never_merged_silently() {
        let nik = Feature::Nik {
            values: vec![3571011502490001, 3571011502490002, 0, 3571011502480001],
            valid: vec![true, true, false, true],
        };
        // 0 and 1: same birth prefix, other serial (two people); 2 has no NIK and links to
        // 1 strongly; 3 is a typo of 0.
        let edges = [e(0, 1, 0.8), e(1, 2, 0.99), e(0, 2, 0.6), e(0, 3, 0.99)];
        let c = by_nik(4, &edges, &nik, None);
        assert_eq!(c.cluster[0], c.cluster[3]);
        assert_eq!(c.cluster[1], c.cluster[2]);
        assert_ne!(c.cluster[0], c.cluster[1]);
        assert_eq!(c.cases.len(), 1);
        assert_eq!(c.cases[0].reason, ReviewReason::DistinctIdentifiers);
        assert_eq!(c.cases[0].parts.len(), 2);
        // When only 3571011502490001 is confirmed by the authority, the other NIK counts as
        // a probable error: nothing is split.
        let confirmed = [3571011502490001u64];
        let c = by_nik(4, &edges, &nik, Some(&confirmed));
        assert!(c.cases.is_empty());
        assert!(c.cluster.iter().all(|&x| x == 0));
        // When the authority holds both 0 and its look-alike 3 (two people born a day apart,
        // NIKs one digit apart), they are two people: split and reviewed.
        let confirmed = [3571011502480001u64, 3571011502490001];
        let c = by_nik(4, &edges, &nik, Some(&confirmed));
        assert_ne!(c.cluster[0], c.cluster[3]);
        assert_eq!(c.cases.len(), 1);
    }

    #[test]
    fn a_record_carrying_a_parents_nik_goes_with_the_person_it_describes() {
        // 0, 1: the parent (NIK 3571011502490001) in two sources; 2: the child (its own NIK);
        // 3: the child's row in a third source, carrying the parent's NIK: linked to the parent
        // by the NIK alone (weak), to the child by name and birth date (strong).
        let nik = Feature::Nik {
            values: vec![
                3571011502490001,
                3571011502490001,
                3571010101150001,
                3571011502490001,
            ],
            valid: vec![true; 4],
        };
        let edges = [
            e(0, 1, 0.999_999),
            e(0, 3, 0.97),
            e(1, 3, 0.97),
            e(2, 3, 0.999_999_9),
        ];
        let c = by_nik(4, &edges, &nik, None);
        assert_eq!(
            c.cluster[2], c.cluster[3],
            "the child's row joins the child"
        );
        assert_eq!(c.cluster[0], c.cluster[1]);
        assert_ne!(c.cluster[0], c.cluster[3]);
        assert_eq!(c.cases.len(), 1, "and the case is reviewed");
    }
}
