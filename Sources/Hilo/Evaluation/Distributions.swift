// The few distribution functions evaluation needs, written out so Hilo has no statistics dependency:
// the standard normal quantile (Wichura's AS 241), the exact binomial tail of a fair coin, and Student's t
// (distribution through the regularized incomplete beta function, quantile by bisection).
// Accuracy: about 1e-15 relative for the normal quantile, 1e-12 for the others, checked against scipy by
// Tests/HiloTests/Fixtures/make_eval_golden.py.
import Foundation

public enum Distributions {
    /// The standard normal quantile Φ⁻¹(p) for 0 < p < 1 (AS 241, PPND16: Wichura 1988).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normal quantile needs 0 < p < 1")
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            let num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
                + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
            let den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
                + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
            return q * num / den
        }
        var r = q < 0 ? p : 1 - p
        r = (-log(r)).squareRoot()
        var x: Double
        if r <= 5 {
            r -= 1.6
            x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
                / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
        } else {
            r -= 5
            x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
                / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
        }
        return q < 0 ? -x : x
    }

    /// The two-sided critical value z for a central interval of the given confidence (1.959964 for 0.95).
    public static func normalCritical(confidence: Double) -> Double {
        precondition(confidence > 0 && confidence < 1, "confidence must lie strictly between 0 and 1")
        return normalQuantile(0.5 + confidence / 2)
    }

    /// P(X ≤ k) for X ~ Binomial(n, 1/2). Up to n = 1000 the binomial coefficients are summed directly
    /// (C(1000, 500) ≈ 2.7e299 still fits a Double) and scaled by 2⁻ⁿ exactly, so small campaigns get
    /// exact dyadic values like 176/1024; beyond, the terms are walked down from C(n, k) in log space.
    public static func fairCoinCDF(_ k: Int, trials n: Int) -> Double {
        precondition(n >= 0, "a binomial needs n ≥ 0")
        if k < 0 { return 0 }
        if k >= n { return 1 }
        if n <= 1000 {
            var coefficient = 1.0, total = 1.0 // C(n, 0)
            if k > 0 {
                for i in 0..<k {
                    coefficient = coefficient * Double(n - i) / Double(i + 1)
                    total += coefficient
                }
            }
            return min(1, scalbn(total, -n))
        }
        // By symmetry P(X ≤ k) = 1 − P(X ≤ n − k − 1); sum the short lower tail.
        if k > n / 2 { return 1 - fairCoinCDF(n - k - 1, trials: n) }
        var term = exp(lnGamma(Double(n) + 1) - lnGamma(Double(k) + 1) - lnGamma(Double(n - k) + 1) + Double(n) * log(0.5))
        var total = 0.0
        var i = k
        while i >= 0 && term > 0 {
            total += term
            term *= Double(i) / Double(n - i + 1) // C(n, i−1) = C(n, i)·i/(n − i + 1)
            i -= 1
        }
        return min(1, total)
    }

    /// The regularized incomplete beta function I_x(a, b) (continued fraction, modified Lentz).
    public static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        precondition(a > 0 && b > 0, "incomplete beta needs a, b > 0")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, b, a) }
        let lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * log(x) + b * log1p(-x)
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...10_000 {
            let m = Double(m)
            // Even step.
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }; d = 1 / d
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            f *= d * c
            // Odd step.
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }; d = 1 / d
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return exp(lnFront) * f / a
    }

    /// P(T ≤ t) for Student's t with ν > 0 degrees of freedom.
    public static func studentTCDF(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "Student's t needs ν > 0")
        let tail = 0.5 * regularizedIncompleteBeta(nu / (nu + t * t), nu / 2, 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The quantile of Student's t: the t with P(T ≤ t) = p, by bisection to the last bit.
    public static func studentTQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1, "t quantile needs 0 < p < 1")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -studentTQuantile(1 - p, degreesOfFreedom: nu) }
        var lo = 0.0, hi = 1.0
        while studentTCDF(hi, degreesOfFreedom: nu) < p { lo = hi; hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid == lo || mid == hi { break }
            if studentTCDF(mid, degreesOfFreedom: nu) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// ln Γ(x) for x > 0 (the C library's lgamma, named so the overload resolves on every platform).
    static func lnGamma(_ x: Double) -> Double {
        let value: Double = lgamma(x)
        return value
    }
}
