// The engine's random numbers: a seeded xoshiro256** generator as a value type. It is passed in
// explicitly (init, dropout-free sampling, data shuffling) so a seed reproduces a run exactly.
import Foundation
import Support

/// xoshiro256** (Blackman & Vigna), seeded through splitmix64. Copying it forks the stream.
public struct SeededRNG: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = SplitMix64(seed: seed)
        s0 = x.next(); s1 = x.next(); s2 = x.next(); s3 = x.next()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform float in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// A standard normal sample (Box–Muller, one of the pair).
    public mutating func nextNormal() -> Float {
        let u1 = Double((next() >> 11) + 1) * (1.0 / 9_007_199_254_740_993.0)  // (0, 1]
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Fills p[0..<count] with N(0, std²) samples, using both values of each Box–Muller pair.
    public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, std: Float) {
        var i = 0
        while i < count {
            let u1 = Double((next() >> 11) + 1) * (1.0 / 9_007_199_254_740_993.0)
            let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
            let r = (-2 * log(u1)).squareRoot(), a = 2 * Double.pi * u2
            p[i] = Float(r * cos(a)) * std
            if i + 1 < count { p[i + 1] = Float(r * sin(a)) * std }
            i += 2
        }
    }
}
