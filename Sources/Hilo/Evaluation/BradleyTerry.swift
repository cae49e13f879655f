// The Bradley–Terry model fitted by Newton's method on the penalized log-likelihood.
//
// Model: P(i beats j) = σ(βᵢ − βⱼ), σ the logistic function. Ties count as half a win for each side
// (rather than Davidson's tie parameter): the fitted strengths then match the "ties as half" win rate of
// the side-by-side result, and there is no extra parameter for few data to estimate.
//
// Prior: each version also plays `priorGames` virtual games against a fixed opponent of strength 0,
// winning half. The objective
//     L(β) = Σᵢⱼ wᵢⱼ log σ(βᵢ − βⱼ) + (α/2) Σᵢ [log σ(βᵢ) + log σ(−βᵢ)]
// is then strictly concave for α > 0, so its maximum is unique and finite even when a version won every
// game or the comparison graph falls apart into components (each is pulled towards 0, none drifts).
// Newton converges quadratically; a step is halved until L increases, so it cannot overshoot.
import Foundation

public enum BradleyTerry {
    /// The fitted log-strengths β (natural-log odds scale), one per `counts.versions` entry, and the
    /// Newton iterations taken.
    public static func fit(_ counts: PairwiseCounts, priorGames: Double, tolerance: Double = 1e-10,
                           maxIterations: Int = 100, start: [Double]? = nil) -> (beta: [Double], iterations: Int) {
        precondition(priorGames > 0, "the Bradley–Terry prior needs priorGames > 0")
        let k = counts.count
        var beta = start ?? Array(repeating: 0, count: k)
        precondition(beta.count == k, "the starting point needs one value per version")
        if k == 0 { return ([], 0) }
        var gradient = [Double](repeating: 0, count: k)
        var hessian = [Double](repeating: 0, count: k * k) // −∇²L, row-major, positive definite
        var iterations = 0
        var current = logLikelihood(beta, counts, priorGames)
        while iterations < maxIterations {
            derivatives(beta, counts, priorGames, gradient: &gradient, negativeHessian: &hessian)
            if gradient.map(abs).max()! < tolerance { break }
            iterations += 1
            let step = choleskySolve(hessian, gradient, k)
            var t = 1.0
            var candidate = beta
            var value = current
            for _ in 0..<60 {
                for i in 0..<k { candidate[i] = beta[i] + t * step[i] }
                value = logLikelihood(candidate, counts, priorGames)
                if value >= current - 1e-12 * abs(current) { break }
                t /= 2
            }
            beta = candidate
            current = value
            if t * (step.map(abs).max() ?? 0) < 1e-15 { break }
        }
        return (beta, iterations)
    }

    /// The penalized log-likelihood L(β) above.
    public static func logLikelihood(_ beta: [Double], _ counts: PairwiseCounts, _ priorGames: Double) -> Double {
        var total = 0.0
        let k = counts.count
        for i in 0..<k {
            for j in 0..<k where i != j && counts.wins[i][j] > 0 {
                total += counts.wins[i][j] * logSigmoid(beta[i] - beta[j])
            }
            total += priorGames / 2 * (logSigmoid(beta[i]) + logSigmoid(-beta[i]))
        }
        return total
    }

    /// ∇L and −∇²L at β.
    static func derivatives(_ beta: [Double], _ counts: PairwiseCounts, _ priorGames: Double,
                            gradient g: inout [Double], negativeHessian h: inout [Double]) {
        let k = counts.count
        for i in 0..<k {
            g[i] = 0
            for j in 0..<k { h[i * k + j] = 0 }
        }
        for i in 0..<k {
            for j in (i + 1)..<k {
                let n = counts.games(i, j)
                guard n > 0 else { continue }
                let p = sigmoid(beta[i] - beta[j])
                g[i] += counts.wins[i][j] - n * p
                g[j] += counts.wins[j][i] - n * (1 - p)
                let w = n * p * (1 - p)
                h[i * k + i] += w; h[j * k + j] += w
                h[i * k + j] -= w; h[j * k + i] -= w
            }
            let s = sigmoid(beta[i])
            g[i] += priorGames / 2 - priorGames * s
            h[i * k + i] += priorGames * s * (1 - s)
        }
    }

    /// Solves A x = b for a symmetric positive definite k×k A (row-major) by Cholesky.
    static func choleskySolve(_ a: [Double], _ b: [Double], _ k: Int) -> [Double] {
        var l = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0...i {
                var sum = a[i * k + j]
                for m in 0..<j { sum -= l[i * k + m] * l[j * k + m] }
                if i == j {
                    // The prior makes A positive definite; guard the pivot against rounding for extreme β.
                    l[i * k + i] = max(sum, 1e-300).squareRoot()
                } else {
                    l[i * k + j] = sum / l[j * k + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: k)
        for i in 0..<k {
            var sum = b[i]
            for m in 0..<i { sum -= l[i * k + m] * y[m] }
            y[i] = sum / l[i * k + i]
        }
        var x = [Double](repeating: 0, count: k)
        for i in stride(from: k - 1, through: 0, by: -1) {
            var sum = y[i]
            for m in (i + 1)..<k { sum -= l[m * k + i] * x[m] }
            x[i] = sum / l[i * k + i]
        }
        return x
    }

    static func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }

    /// log σ(x) without overflow: −log(1 + e^(−x)).
    static func logSigmoid(_ x: Double) -> Double { x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)) }
}
