// Inter-annotator agreement on rankings: pairwise percent agreement and Krippendorff's alpha with
// the ordinal metric (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").
//
// Percent agreement: an item is one response pair of a prompt; each annotator's value on it is
// "first better", "second better" or "tie" from their ranks. Over every pair of annotators who
// both judged an item, the share that gave the same value.
// Alpha: a unit is one response of a prompt; an annotator's value is the response's dense rank in
// their judgment (1, 1, 2 for a tie at the top). alpha = 1 - (n - 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck,
// where o is the coincidence matrix (each unit with m values adds 1/(m-1) per ordered value pair),
// n_c its marginals, n = Σ n_c, and δ²_ck = (Σ_{g=c..k} n_g - (n_c + n_k)/2)².
public enum Agreement {
    /// The coincidence matrix over values 1…V (index value-1), accumulated unit by unit.
    struct Coincidences {
        var size = 0
        var o: [Double] = []

        mutating func grow(to v: Int) {
            guard v > size else { return }
            var n = [Double](repeating: 0, count: v * v)
            for c in 0..<size { for k in 0..<size { n[c * v + k] = o[c * size + k] } }
            o = n; size = v
        }

        /// Adds (sign +1) or removes (sign -1) one unit's values.
        mutating func add(unit values: [Int], sign: Double = 1) {
            let m = values.count
            guard m >= 2 else { return }
            grow(to: values.max()!)
            let w = sign / Double(m - 1)
            for i in 0..<m { for j in 0..<m where i != j { o[(values[i] - 1) * size + values[j] - 1] += w } }
        }

        mutating func add(_ other: Coincidences, sign: Double = 1) {
            grow(to: other.size)
            for c in 0..<other.size { for k in 0..<other.size { o[c * size + k] += sign * other.o[c * other.size + k] } }
        }

        /// Ordinal alpha, or nil when undefined (fewer than two pairable values, or no variation).
        var ordinalAlpha: Double? {
            let marg = (0..<size).map { c in (0..<size).reduce(0.0) { $0 + o[c * size + $1] } }
            let n = marg.reduce(0, +)
            guard n > 1.5 else { return nil }
            var observed = 0.0, expected = 0.0
            for c in 0..<size {
                for k in 0..<size where c != k {
                    let lo = min(c, k), hi = max(c, k)
                    var s = 0.0
                    for g in lo...hi { s += marg[g] }
                    let d = s - (marg[c] + marg[k]) / 2
                    let d2 = d * d
                    observed += o[c * size + k] * d2
                    expected += marg[c] * marg[k] * d2
                }
            }
            guard expected > 1e-12 else { return nil }
            return 1 - (n - 1) * observed / expected
        }
    }

    /// Krippendorff's ordinal alpha of `units` (each the integer values >= 1 that coders gave one
    /// unit; units with fewer than two values are not pairable and ignored).
    public static func ordinalAlpha(units: [[Int]]) -> Double? {
        var m = Coincidences()
        for u in units { m.add(unit: u) }
        return m.ordinalAlpha
    }

    /// Agreeing and total coder pairs over `items` (each the values coders gave one item).
    public static func percentAgreement(items: [[Int]]) -> (agreements: Int, comparisons: Int) {
        var agree = 0, total = 0
        for values in items where values.count >= 2 {
            for i in 0..<values.count { for j in (i + 1)..<values.count { total += 1; if values[i] == values[j] { agree += 1 } } }
        }
        return (agree, total)
    }

    /// Dense ranks: the distinct ranks in order become 1, 2, 3… (1, 1, 3 -> 1, 1, 2).
    static func dense(_ ranks: [Int]) -> [Int] {
        let order = Array(Set(ranks)).sorted()
        let index = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0 + 1) })
        return ranks.map { index[$0]! }
    }
}

/// Agreement on one scope (everything, or one prompt).
public struct AgreementScore: Sendable, Equatable {
    /// Annotator pairs that judged the same response pair, and how many of them agreed.
    public var comparisons = 0
    public var agreements = 0
    /// agreements / comparisons; nil without comparisons.
    public var percent: Double? { comparisons == 0 ? nil : Double(agreements) / Double(comparisons) }
    /// Krippendorff's ordinal alpha; nil when undefined.
    public var alpha: Double?
}

/// One annotator's agreement with the others.
public struct AnnotatorAgreement: Sendable, Equatable {
    public var annotatorID: Int64
    public var name: String
    public var comparisons = 0
    public var agreements = 0
    public var percent: Double? { comparisons == 0 ? nil : Double(agreements) / Double(comparisons) }
    /// Overall alpha with this annotator's labels left out: above the overall alpha means the
    /// others agree better without them.
    public var alphaWithout: Double?
}

public struct AgreementReport: Sendable, Equatable {
    public var overall = AgreementScore()
    public var prompts: [Int64: AgreementScore] = [:]
    public var annotators: [Int64: AnnotatorAgreement] = [:]
}
