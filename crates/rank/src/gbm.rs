//! Gradient-boosted regression trees (squared loss, weighted): the stronger model. Trees are
//! grown level by level on pre-sorted columns; a prediction is the base plus every tree's
//! leaf, and its explanation follows each tree's path (the change of the node value at each
//! split goes to the split's variable), so contributions add up to the prediction exactly.

use serde::{Deserialize, Serialize};

/// Training settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Number of trees.
    pub trees: usize,
    /// Depth of each tree.
    pub depth: usize,
    /// Shrinkage.
    pub learning_rate: f64,
    /// Smallest weight share of the sample a leaf may hold.
    pub min_leaf_share: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            trees: 200,
            depth: 3,
            learning_rate: 0.03,
            min_leaf_share: 0.02,
        }
    }
}

/// A node: a split (`feature`, `threshold`, children) or a leaf (`feature` = `u32::MAX`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Encoded column split on.
    pub feature: u32,
    /// Rows with a value `<= threshold` go left.
    pub threshold: f64,
    /// Left child index.
    pub left: u32,
    /// Right child index.
    pub right: u32,
    /// The node's value (already shrunk): the weighted mean residual of its rows.
    pub value: f64,
}

const LEAF: u32 = u32::MAX;

/// A fitted ensemble.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gbm {
    /// The weighted mean target.
    pub base: f64,
    /// The trees, each a vector of nodes (root first).
    pub trees: Vec<Vec<Node>>,
    /// Settings used.
    pub settings: Settings,
}

impl Gbm {
    /// Fits on rows `x`, targets `y`, weights `w`.
    pub fn fit(x: &[Vec<f64>], y: &[f64], w: &[f64], settings: Settings) -> Gbm {
        let n = x.len();
        let p = x.first().map_or(0, Vec::len);
        let total: f64 = w.iter().sum::<f64>().max(1e-12);
        let base = y.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / total;
        let min_leaf = settings.min_leaf_share * total;
        // Column-major values and each column's row order.
        let cols: Vec<Vec<f64>> = (0..p).map(|j| x.iter().map(|r| r[j]).collect()).collect();
        let order: Vec<Vec<u32>> = cols
            .iter()
            .map(|c| {
                let mut o: Vec<u32> = (0..n as u32).collect();
                o.sort_by(|&a, &b| c[a as usize].total_cmp(&c[b as usize]).then(a.cmp(&b)));
                o
            })
            .collect();
        let mut pred = vec![base; n];
        let mut trees = Vec::with_capacity(settings.trees);
        for _ in 0..settings.trees {
            let resid: Vec<f64> = y.iter().zip(&pred).map(|(a, b)| a - b).collect();
            let tree = grow(&cols, &order, &resid, w, settings, min_leaf);
            for (i, p) in pred.iter_mut().enumerate() {
                *p += leaf_value(&tree, |j| cols[j][i]);
            }
            trees.push(tree);
        }
        Gbm {
            base,
            trees,
            settings,
        }
    }

    /// The prediction for one encoded row.
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.base
            + self
                .trees
                .iter()
                .map(|t| leaf_value(t, |j| x[j]))
                .sum::<f64>()
    }

    /// Per encoded column, its contribution: base + the sum = the prediction.
    pub fn contributions(&self, x: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; x.len()];
        for t in &self.trees {
            let mut k = 0usize;
            while t[k].feature != LEAF {
                let node = t[k];
                let next = if x[node.feature as usize] <= node.threshold {
                    node.left
                } else {
                    node.right
                };
                out[node.feature as usize] += t[next as usize].value - node.value;
                k = next as usize;
            }
            // The root's value is part of the tree's output: give it to no variable but keep
            // the sum exact by adding it to the base when explaining (see `root_total`).
        }
        out
    }

    /// The sum of the trees' root values (part of every prediction, explained as the base).
    pub fn root_total(&self) -> f64 {
        self.trees.iter().map(|t| t[0].value).sum()
    }
}

fn leaf_value(t: &[Node], value: impl Fn(usize) -> f64) -> f64 {
    let mut k = 0usize;
    while t[k].feature != LEAF {
        let node = t[k];
        k = if value(node.feature as usize) <= node.threshold {
            node.left
        } else {
            node.right
        } as usize;
    }
    t[k].value
}

fn grow(
    cols: &[Vec<f64>],
    order: &[Vec<u32>],
    g: &[f64],
    w: &[f64],
    s: Settings,
    min_leaf: f64,
) -> Vec<Node> {
    let n = g.len();
    let mut node_of = vec![0u32; n];
    let (sw, sg) = (
        w.iter().sum::<f64>(),
        g.iter().zip(w).map(|(a, b)| a * b).sum::<f64>(),
    );
    let mut nodes = vec![Node {
        feature: LEAF,
        threshold: 0.0,
        left: 0,
        right: 0,
        value: s.learning_rate * sg / sw.max(1e-12),
    }];
    let mut stats = vec![(sw, sg)];
    let mut frontier: Vec<u32> = vec![0];
    for _ in 0..s.depth {
        if frontier.is_empty() {
            break;
        }
        // Best split per frontier node: (gain, feature, threshold).
        let mut best: Vec<(f64, u32, f64)> = vec![(0.0, LEAF, 0.0); nodes.len()];
        let mut slot = vec![usize::MAX; nodes.len()];
        for (i, &f) in frontier.iter().enumerate() {
            slot[f as usize] = i;
        }
        for (j, col) in cols.iter().enumerate() {
            // Running sums per frontier node along the column's order.
            let mut acc = vec![(0.0f64, 0.0f64); frontier.len()];
            let mut last = vec![f64::NAN; frontier.len()];
            for &r in &order[j] {
                let r = r as usize;
                let f = node_of[r] as usize;
                let i = slot.get(f).copied().unwrap_or(usize::MAX);
                if i == usize::MAX {
                    continue;
                }
                let v = col[r];
                if !last[i].is_nan() && v > last[i] {
                    let (lw, lg) = acc[i];
                    let (tw, tg) = stats[f];
                    let (rw, rg) = (tw - lw, tg - lg);
                    if lw >= min_leaf && rw >= min_leaf {
                        let gain = lg * lg / lw + rg * rg / rw - tg * tg / tw;
                        if gain > best[f].0 + 1e-12 {
                            best[f] = (gain, j as u32, (last[i] + v) / 2.0);
                        }
                    }
                }
                acc[i].0 += w[r];
                acc[i].1 += w[r] * g[r];
                last[i] = v;
            }
        }
        let mut next = Vec::new();
        let mut split_now = vec![false; nodes.len()];
        for &f in &frontier {
            let (gain, feature, threshold) = best[f as usize];
            if feature == LEAF || gain <= 0.0 {
                continue;
            }
            let (l, r) = (nodes.len() as u32, nodes.len() as u32 + 1);
            nodes[f as usize].feature = feature;
            nodes[f as usize].threshold = threshold;
            nodes[f as usize].left = l;
            nodes[f as usize].right = r;
            split_now[f as usize] = true;
            for _ in 0..2 {
                nodes.push(Node {
                    feature: LEAF,
                    threshold: 0.0,
                    left: 0,
                    right: 0,
                    value: 0.0,
                });
                stats.push((0.0, 0.0));
            }
            next.push(l);
            next.push(r);
        }
        if next.is_empty() {
            break;
        }
        for r in 0..n {
            let f = node_of[r] as usize;
            if !split_now.get(f).copied().unwrap_or(false) {
                continue;
            }
            let node = nodes[f];
            let child = if cols[node.feature as usize][r] <= node.threshold {
                node.left
            } else {
                node.right
            };
            node_of[r] = child;
            stats[child as usize].0 += w[r];
            stats[child as usize].1 += w[r] * g[r];
        }
        for &c in &next {
            let (cw, cg) = stats[c as usize];
            nodes[c as usize].value = s.learning_rate * cg / cw.max(1e-12);
        }
        frontier = next;
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_step_and_explains_it_exactly() {
        let x: Vec<Vec<f64>> = (0..400)
            .map(|i| vec![(i % 20) as f64, (i % 3) as f64])
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|r| if r[0] > 9.5 { 2.0 } else { 0.0 } + 0.3 * r[1])
            .collect();
        let m = Gbm::fit(
            &x,
            &y,
            &vec![1.0; 400],
            Settings {
                trees: 200,
                ..Settings::default()
            },
        );
        let err: f64 = x
            .iter()
            .zip(&y)
            .map(|(r, t)| (m.predict(r) - t).abs())
            .sum::<f64>()
            / 400.0;
        assert!(err < 0.05, "mean abs error {err}");
        for r in x.iter().take(20) {
            let c = m.contributions(r);
            let sum = m.base + m.root_total() + c.iter().sum::<f64>();
            assert!((sum - m.predict(r)).abs() < 1e-9);
        }
    }
}
