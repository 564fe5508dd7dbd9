//! Weighted least squares (the reference PMT): `ln pcc = b0 + X b`, solved from the normal
//! equations with a tiny ridge so that dummies that always go together cannot make it
//! singular.

use serde::{Deserialize, Serialize};

/// A fitted linear model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ols {
    /// Intercept.
    pub intercept: f64,
    /// One coefficient per encoded column.
    pub coefficients: Vec<f64>,
}

impl Ols {
    /// Fits on rows `x` (columns as the encoder's), targets `y`, weights `w`.
    pub fn fit(x: &[Vec<f64>], y: &[f64], w: &[f64]) -> Ols {
        let p = x.first().map_or(0, Vec::len) + 1;
        let mut a = vec![0.0; p * p];
        let mut b = vec![0.0; p];
        let mut row = vec![0.0; p];
        for ((xi, yi), wi) in x.iter().zip(y).zip(w) {
            row[0] = 1.0;
            row[1..].copy_from_slice(xi);
            for i in 0..p {
                let wr = wi * row[i];
                b[i] += wr * yi;
                for j in 0..=i {
                    a[i * p + j] += wr * row[j];
                }
            }
        }
        let total: f64 = w.iter().sum::<f64>().max(1e-12);
        for i in 0..p {
            for j in 0..i {
                a[j * p + i] = a[i * p + j];
            }
            // Ridge on the slopes only, scaled to the sample.
            if i > 0 {
                a[i * p + i] += 1e-6 * total;
            }
        }
        let beta = solve_cholesky(&mut a, &b, p);
        Ols {
            intercept: beta[0],
            coefficients: beta[1..].to_vec(),
        }
    }

    /// The prediction for one encoded row.
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.intercept
            + x.iter()
                .zip(&self.coefficients)
                .map(|(a, b)| a * b)
                .sum::<f64>()
    }
}

/// Solves `A x = b` for symmetric positive-definite `A` (row-major, overwritten).
fn solve_cholesky(a: &mut [f64], b: &[f64], n: usize) -> Vec<f64> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        let d = d.max(1e-12).sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * y[k];
        }
        y[i] = s / a[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= a[k * n + i] * x[k];
        }
        x[i] = s / a[i * n + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_line() {
        let x: Vec<Vec<f64>> = (0..50).map(|i| vec![i as f64, (i % 7) as f64]).collect();
        let y: Vec<f64> = x.iter().map(|r| 2.0 + 0.5 * r[0] - 1.5 * r[1]).collect();
        let m = Ols::fit(&x, &y, &vec![1.0; 50]);
        assert!((m.intercept - 2.0).abs() < 1e-3, "{m:?}");
        assert!((m.coefficients[0] - 0.5).abs() < 1e-4);
        assert!((m.coefficients[1] + 1.5).abs() < 1e-3);
    }
}
