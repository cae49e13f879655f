// What a Split pre-tokenizer does with the matches of its pattern, as `tokenizers`'
// SplitDelimiterBehavior: remove them, keep each as its own piece, glue each to the piece before
// or after it, or join runs of matches (and runs of non-matches) into one piece. `invert` swaps
// the roles of matches and the text between them first.

enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// The pieces of a text of `length` bytes given its pattern matches (sorted, non-empty, disjoint).
    func pieces(length: Int, matches: [Range<Int>], invert: Bool) -> [Range<Int>] {
        // The text as alternating (range, is a match) spans, the empty ones left out.
        var spans: [(Range<Int>, Bool)] = []
        var last = 0
        for m in matches {
            if last < m.lowerBound { spans.append((last..<m.lowerBound, invert)) }
            spans.append((m, !invert))
            last = m.upperBound
        }
        if last < length { spans.append((last..<length, invert)) }
        switch self {
        case .removed: return spans.filter { !$0.1 }.map(\.0)
        case .isolated: return spans.map(\.0)
        case .mergedWithPrevious:
            var out: [Range<Int>] = []
            var previousMatch = false
            for (r, isMatch) in spans {
                if isMatch && !previousMatch, let prev = out.last { out[out.count - 1] = prev.lowerBound..<r.upperBound } else { out.append(r) }
                previousMatch = isMatch
            }
            return out
        case .mergedWithNext:
            var out: [Range<Int>] = []
            var previousMatch = false
            for (r, isMatch) in spans.reversed() {
                if isMatch && !previousMatch, let next = out.last { out[out.count - 1] = r.lowerBound..<next.upperBound } else { out.append(r) }
                previousMatch = isMatch
            }
            return out.reversed()
        case .contiguous:
            var out: [Range<Int>] = []
            var previousMatch = false
            for (r, isMatch) in spans {
                if isMatch == previousMatch, let prev = out.last { out[out.count - 1] = prev.lowerBound..<r.upperBound } else { out.append(r) }
                previousMatch = isMatch
            }
            return out
        }
    }
}
