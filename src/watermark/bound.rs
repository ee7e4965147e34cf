//! How often a codeword search could claim content never marked, and the score that keeps that
//! below a budget.
//!
//! For one candidate payload, each cell's expected sign is an independent keyed coin flip, so on
//! unmarked content the normalised correlation `z = Σ vₖxₖ / √(Σ xₖ²)` is a weighted sum of
//! Rademacher variables with unit total weight. Bentkus and Dzindzalieta (2015, "A tight
//! Gaussian bound for weighted sums of Rademacher random variables", Bernoulli 21(2)) proved
//! that such a sum exceeds `t` with probability at most `c · Q(t)`, `Q` the standard normal tail
//! and `c = 1 / (4 Q(√2)) ≈ 3.178`, whatever the weights; and `Q(t) ≤ φ(t) / t` for `t > 0`.

/// The constant of the Bentkus–Dzindzalieta bound, rounded up.
const RADEMACHER_TAIL_FACTOR: f64 = 3.18;

/// Upper bound on P(z ≥ t) for one candidate at one alignment (capped at 1).
pub(super) fn tail_bound(t: f64) -> f64 {
    if t <= 0.0 {
        return 1.0;
    }
    let density = (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
    (RADEMACHER_TAIL_FACTOR * density / t).min(1.0)
}

/// The smallest score (to 1e-4) at which `tries` candidates together claim unmarked content
/// with probability at most `budget`.
pub(super) fn threshold(tries: f64, budget: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 64.0f64);
    while hi - lo > 1e-4 {
        let mid = 0.5 * (lo + hi);
        if tries * tail_bound(mid) > budget {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_above_the_normal_tail_and_below_hoeffding() {
        // Q(t) for t = 2, 4, 6 (tables), and exp(-t²/2).
        for (t, q) in [(2.0, 2.275e-2), (4.0, 3.167e-5), (6.0, 9.866e-10)] {
            let b = tail_bound(t);
            assert!(b > q, "t {t}: bound {b} below the normal tail {q}");
            assert!(
                b < (-0.5 * t * t).exp(),
                "t {t}: bound {b} not tighter than Hoeffding"
            );
        }
    }

    #[test]
    fn the_threshold_meets_its_budget() {
        let t = threshold(2f64.powi(32), 1e-6);
        assert!(2f64.powi(32) * tail_bound(t) <= 1e-6);
        assert!(2f64.powi(32) * tail_bound(t - 1e-3) > 1e-6);
        assert!((8.0..8.6).contains(&t), "threshold {t}");
    }
}
