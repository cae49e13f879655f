// Which entries of a [B, T] per-token grid are real response tokens. PPO's per-token arrays (log-probs,
// values, rewards, advantages) are right-padded: row b holds `lengths[b]` tokens then padding, so the
// mask is fully described by the lengths. Every masked function in PPOMath reads and writes flat
// row-major arrays of B·T Doubles and leaves padding at 0.
import Foundation

public struct ResponseMask: Sendable, Equatable, Codable {
    /// Real tokens of each row, 1…width.
    public let lengths: [Int]
    /// T, the padded width of every row.
    public let width: Int

    public init(lengths: [Int], width: Int) throws {
        guard !lengths.isEmpty else { throw EngineError.invalidInput("response mask: empty batch") }
        guard width > 0 else { throw EngineError.invalidInput("response mask: width must be positive, got \(width)") }
        if let bad = lengths.first(where: { $0 < 1 || $0 > width }) {
            throw EngineError.invalidInput("response mask: every row needs 1…\(width) tokens, got \(bad)")
        }
        self.lengths = lengths; self.width = width
    }

    /// Builds the mask from a right-padded 0/1 (or Bool) mask of B·T entries; throws on holes.
    public init(mask: [Bool], width: Int) throws {
        guard width > 0, !mask.isEmpty, mask.count % width == 0 else {
            throw EngineError.invalidInput("response mask: \(mask.count) entries is not a multiple of width \(width)")
        }
        var lengths: [Int] = []
        for b in 0..<(mask.count / width) {
            let row = mask[(b * width)..<((b + 1) * width)]
            let n = row.prefix(while: { $0 }).count
            guard !row.dropFirst(n).contains(true) else {
                throw EngineError.invalidInput("response mask: row \(b) is not right-padded (a real token follows padding)")
            }
            lengths.append(n)
        }
        try self.init(lengths: lengths, width: width)
    }

    /// B.
    public var rows: Int { lengths.count }
    /// B·T, the size of every per-token array.
    public var count: Int { lengths.count * width }
    /// Real tokens in the batch.
    public var tokenCount: Int { lengths.reduce(0, +) }

    @inline(__always) public func contains(row b: Int, column t: Int) -> Bool { t < lengths[b] }

    /// The mask as B·T Doubles (1 real, 0 padding).
    public var asDoubles: [Double] {
        var m = [Double](repeating: 0, count: count)
        for b in 0..<rows { for t in 0..<lengths[b] { m[b * width + t] = 1 } }
        return m
    }

    /// Flat index of each row's last real token.
    public var lastIndices: [Int] { (0..<rows).map { $0 * width + lengths[$0] - 1 } }

    /// Mean of `x` over the real tokens.
    public func mean(_ x: [Double]) -> Double {
        var s = 0.0
        for b in 0..<rows { for t in 0..<lengths[b] { s += x[b * width + t] } }
        return s / Double(tokenCount)
    }

    /// Per-row sums of `x` over the real tokens.
    public func rowSums(_ x: [Double]) -> [Double] {
        (0..<rows).map { b in (0..<lengths[b]).reduce(0.0) { $0 + x[b * width + $1] } }
    }

    func check(_ name: String, _ x: [Double], context: String) throws {
        guard x.count == count else {
            throw EngineError.invalidInput("\(context): \(name) has \(x.count) elements, expected \(rows)×\(width) = \(count)")
        }
    }
}
