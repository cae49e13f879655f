// SplitMix64 (Steele, Lea & Flood 2014): the seeded generator of the demo corpus, of the evaluation
// bootstrap, and of the engine's xoshiro seeding. A value passed in explicitly, so a seed fixes every
// output byte for byte on every platform. Only integer arithmetic is used, and no Swift
// standard-library randomness (whose algorithms may change).
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's whole state: the next output is a mix of `state` after one more increment.
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range` (Lemire's multiply-shift with rejection: no modulo bias).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        if span == 0 { return Int(bitPattern: UInt(next())) } // the full 64-bit range
        var m = next().multipliedFullWidth(by: span)
        if m.low < span {
            let threshold = (0 &- span) % span
            while m.low < threshold { m = next().multipliedFullWidth(by: span) }
        }
        return range.lowerBound + Int(m.high)
    }

    /// True with probability `numerator / denominator`.
    public mutating func chance(_ numerator: Int, in denominator: Int) -> Bool {
        precondition(denominator > 0 && numerator >= 0, "a probability needs a positive denominator")
        return int(in: 0...(denominator - 1)) < numerator
    }

    /// A uniformly chosen element of a non-empty collection.
    public mutating func pick<C: RandomAccessCollection>(_ items: C) -> C.Element where C.Index == Int {
        precondition(!items.isEmpty, "pick from an empty collection")
        return items[items.startIndex + int(in: 0...(items.count - 1))]
    }

    /// Derives an independent generator (for a sub-task) without disturbing this one's sequence more than one step.
    public mutating func split() -> SplitMix64 { SplitMix64(seed: next()) }
}
