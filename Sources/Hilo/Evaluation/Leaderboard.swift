// The leaderboard of all versions: Bradley–Terry scores on an Elo-like scale with bootstrap percentile
// intervals. The bootstrap resamples the judged comparisons with replacement, refits, re-anchors and
// takes the (1−c)/2 and (1+c)/2 percentiles of each version's score (linear interpolation between order
// statistics, numpy's default). The random number generator is passed in, so a seed fixes every bound.
import Foundation

public struct Leaderboard: Sendable, Equatable, Codable {
    public struct Entry: Sendable, Equatable, Codable {
        /// The model version id.
        public var version: Int64
        /// 1 for the highest score; equal scores share a rank.
        public var rank: Int
        /// Elo-like score relative to the anchor.
        public var score: Double
        /// Bootstrap percentile interval of `score` (equal to it when no resamples were drawn).
        public var lower: Double
        public var upper: Double
        /// Raw record over all comparisons the version took part in.
        public var wins: Int
        public var losses: Int
        public var ties: Int
        /// wins + losses + ties.
        public var comparisons: Int
    }

    /// Entries by descending score (then ascending version id).
    public var entries: [Entry]
    /// All judged comparisons the board was fitted on.
    public var comparisons: Int
    /// The settings it was computed with.
    public var config: BradleyTerryConfig

    /// Fits the board on `comparisons`. `versions` lists versions to show even without comparisons
    /// (they score like the prior's average opponent). `rng` drives the bootstrap; pass a seeded
    /// generator for reproducible intervals. Throws for an invalid config or an unknown anchor version.
    public init<R: RandomNumberGenerator>(comparisons: [PairwiseComparison], versions: [Int64] = [],
                                          config: BradleyTerryConfig = BradleyTerryConfig(), rng: inout R) throws {
        try config.validate()
        var counts = PairwiseCounts(comparisons, extraVersions: versions)
        let anchorIndex: Int?
        switch config.anchor {
        case .mean: anchorIndex = nil
        case .version(let v):
            guard let i = counts.index[v] else { throw EvaluationError.invalid("anchor version \(v) is not on the board") }
            anchorIndex = i
        }
        let fitted = BradleyTerry.fit(counts, priorGames: config.priorGames, tolerance: config.tolerance,
                                      maxIterations: config.maxIterations).beta
        let scores = Self.scale(fitted, anchorIndex: anchorIndex, eloScale: config.eloScale)

        // The bootstrap: one score vector per resample, warm-started from the full fit.
        let k = counts.count, n = comparisons.count
        var samples = Array(repeating: [Double](), count: k)
        if config.resamples > 0 && n > 0 {
            let index = counts.index
            let pairs = comparisons.map { (index[$0.a]!, index[$0.b]!) }
            for s in samples.indices { samples[s].reserveCapacity(config.resamples) }
            for _ in 0..<config.resamples {
                counts.reset()
                for _ in 0..<n {
                    let r = Self.uniformIndex(below: n, using: &rng)
                    counts.add(comparisons[r], indexA: pairs[r].0, indexB: pairs[r].1)
                }
                let beta = BradleyTerry.fit(counts, priorGames: config.priorGames, tolerance: config.tolerance,
                                            maxIterations: config.maxIterations, start: fitted).beta
                let resampled = Self.scale(beta, anchorIndex: anchorIndex, eloScale: config.eloScale)
                for i in 0..<k { samples[i].append(resampled[i]) }
            }
        }

        var records = Array(repeating: (wins: 0, losses: 0, ties: 0), count: k)
        let index = counts.index
        for c in comparisons {
            let a = index[c.a]!, b = index[c.b]!
            switch c.winner {
            case .a: records[a].wins += 1; records[b].losses += 1
            case .b: records[b].wins += 1; records[a].losses += 1
            case .tie: records[a].ties += 1; records[b].ties += 1
            }
        }
        let tail = (1 - config.confidence) / 2
        var entries = (0..<k).map { i -> Entry in
            let sorted = samples[i].sorted()
            let lower = sorted.isEmpty ? scores[i] : Self.percentile(sorted, tail)
            let upper = sorted.isEmpty ? scores[i] : Self.percentile(sorted, 1 - tail)
            return Entry(version: counts.versions[i], rank: 0, score: scores[i], lower: lower, upper: upper,
                         wins: records[i].wins, losses: records[i].losses, ties: records[i].ties,
                         comparisons: records[i].wins + records[i].losses + records[i].ties)
        }
        entries.sort { $0.score != $1.score ? $0.score > $1.score : $0.version < $1.version }
        for i in entries.indices {
            entries[i].rank = i > 0 && entries[i].score == entries[i - 1].score ? entries[i - 1].rank : i + 1
        }
        self.entries = entries
        self.comparisons = n
        self.config = config
    }

    /// The entry of `version`, if it is on the board.
    public func entry(_ version: Int64) -> Entry? { entries.first { $0.version == version } }

    /// Log-strengths to Elo-like scores: eloScale·(β − anchor)/ln 10.
    static func scale(_ beta: [Double], anchorIndex: Int?, eloScale: Double) -> [Double] {
        guard !beta.isEmpty else { return [] }
        let zero = anchorIndex.map { beta[$0] } ?? beta.reduce(0, +) / Double(beta.count)
        return beta.map { eloScale * ($0 - zero) / M_LN10 }
    }

    /// The q-quantile of ascending `sorted` values, interpolating linearly between order statistics
    /// (position q·(n−1), numpy.percentile's default "linear" method).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
    }

    /// A uniform integer in 0..<n from the generator's raw 64-bit outputs by Lemire's multiply-shift with
    /// rejection: its own code rather than the standard library's, whose algorithm may change between
    /// Swift versions, so a seed gives the same resamples everywhere.
    static func uniformIndex<R: RandomNumberGenerator>(below n: Int, using rng: inout R) -> Int {
        let span = UInt64(n)
        var m = rng.next().multipliedFullWidth(by: span)
        if m.low < span {
            let threshold = (0 &- span) % span
            while m.low < threshold { m = rng.next().multipliedFullWidth(by: span) }
        }
        return Int(m.high)
    }
}
