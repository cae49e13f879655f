// One judged comparison between two versions, as the leaderboard consumes it, and the win counts the
// Bradley–Terry fit works on. A tie counts as half a win for each side (see BradleyTerry.swift).
import Foundation

public struct PairwiseComparison: Sendable, Equatable, Codable {
    /// The comparison's outcome; the raw values are the store's `eval_comparisons.winner` values.
    public enum Winner: String, Sendable, Codable { case a, b, tie }

    /// The version shown as A (a model version id).
    public var a: Int64
    /// The version shown as B.
    public var b: Int64
    public var winner: Winner

    public init(a: Int64, b: Int64, winner: Winner) {
        precondition(a != b, "a comparison is between two different versions")
        self.a = a
        self.b = b
        self.winner = winner
    }

    /// A judged row of a campaign between versions `a` and `b`, with the store's winner ("a", "b", "tie"
    /// relative to the campaign's A and B, whatever side was displayed). nil while unjudged; throws for an
    /// unknown winner value.
    public init?(a: Int64, b: Int64, storeWinner: String?) throws {
        guard let storeWinner else { return nil }
        guard let w = Winner(rawValue: storeWinner) else {
            throw EvaluationError.invalid("unknown comparison winner \"\(storeWinner)\" (expected a, b or tie)")
        }
        self.init(a: a, b: b, winner: w)
    }
}

/// Win counts between versions indexed 0..<count: `wins[i][j]` is how often i beat j, ties adding ½ to both.
public struct PairwiseCounts: Sendable, Equatable {
    /// The version id of each index, ascending.
    public private(set) var versions: [Int64]
    /// `wins[i][j]`: i's wins over j, a tie counting ½ for each side.
    public private(set) var wins: [[Double]]

    /// An all-zero table over `versions` (duplicates removed, sorted).
    public init(versions: [Int64]) {
        self.versions = Array(Set(versions)).sorted()
        wins = Array(repeating: Array(repeating: 0, count: self.versions.count), count: self.versions.count)
    }

    /// The table of `comparisons`, over their versions plus `extraVersions` (for versions not yet compared).
    public init(_ comparisons: [PairwiseComparison], extraVersions: [Int64] = []) {
        self.init(versions: comparisons.flatMap { [$0.a, $0.b] } + extraVersions)
        let index = self.index
        for c in comparisons { add(c, indexA: index[c.a]!, indexB: index[c.b]!) }
    }

    /// Each version's index.
    public var index: [Int64: Int] {
        Dictionary(uniqueKeysWithValues: versions.enumerated().map { ($1, $0) })
    }

    public var count: Int { versions.count }

    /// Games between i and j, in either order.
    public func games(_ i: Int, _ j: Int) -> Double { wins[i][j] + wins[j][i] }

    /// Adds one comparison whose versions have indices `indexA` and `indexB`.
    public mutating func add(_ c: PairwiseComparison, indexA: Int, indexB: Int) {
        switch c.winner {
        case .a: wins[indexA][indexB] += 1
        case .b: wins[indexB][indexA] += 1
        case .tie: wins[indexA][indexB] += 0.5; wins[indexB][indexA] += 0.5
        }
    }

    /// Empties the table, keeping its versions (reused across bootstrap resamples).
    public mutating func reset() {
        for i in wins.indices { for j in wins[i].indices { wins[i][j] = 0 } }
    }
}
