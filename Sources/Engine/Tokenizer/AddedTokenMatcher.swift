// Finding added tokens in UTF-8 text, as `tokenizers`' AddedVocabulary::find_matches does:
// leftmost-longest matching, then the single_word / lstrip / rstrip rules, in two passes
// (tokens with normalized: false first, then normalized: true in the text between).

/// Finds added tokens in UTF-8 text.
struct AddedTokenMatcher: Sendable {
    /// One matching pass: pattern bytes grouped by first byte, longest first.
    struct Pass: Sendable {
        var patterns: [[UInt8]] = []
        var tokens: [AddedToken] = []
        var byFirstByte: [[Int]] = Array(repeating: [], count: 256)

        init(_ list: [AddedToken]) {
            for t in list where !t.content.isEmpty {
                patterns.append(Array(t.content.utf8))
                tokens.append(t)
            }
            for (i, p) in patterns.enumerated() { byFirstByte[Int(p[0])].append(i) }
            for b in 0..<256 {
                byFirstByte[b].sort { (patterns[$0].count, $1) > (patterns[$1].count, $0) }
            }
        }
    }

    let raw: Pass
    let normalized: Pass

    init(_ tokens: [AddedToken]) {
        // `tokenizers` lists special tokens before the others; equal contents keep that order.
        let ordered = tokens.filter(\.special) + tokens.filter { !$0.special }
        raw = Pass(ordered.filter { !$0.normalized })
        normalized = Pass(ordered.filter(\.normalized))
    }

    /// A piece of the text: either an added token's id or a range to pre-tokenize and encode.
    enum Segment: Equatable {
        case token(Int, Range<Int>)
        case text(Range<Int>)
    }

    /// The segments of `p`, in order. With `allowSpecial` false, special tokens are plain text.
    func segments(_ p: UnsafeBufferPointer<UInt8>, allowSpecial: Bool) -> [Segment] {
        var out: [Segment] = []
        for s in find(raw, in: p, 0..<p.count, allowSpecial: allowSpecial) {
            if case .text(let r) = s {
                out.append(contentsOf: find(normalized, in: p, r, allowSpecial: allowSpecial))
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// `find_matches` over one range of the text.
    func find(_ pass: Pass, in p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, allowSpecial: Bool) -> [Segment] {
        guard !range.isEmpty else { return [] }
        guard !pass.patterns.isEmpty else { return [.text(range)] }
        var out: [Segment] = []
        var startOffset = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            var hit = -1
            for k in pass.byFirstByte[Int(p[i])] {
                let pat = pass.patterns[k]
                if i + pat.count <= range.upperBound && pat.indices.allSatisfy({ p[i + $0] == pat[$0] }) { hit = k; break }
            }
            if hit < 0 { i += 1; continue }
            let token = pass.tokens[hit]
            var start = i
            var stop = i + pass.patterns[hit].count
            i = stop
            if token.special && !allowSpecial { continue }
            if token.singleWord {
                let wordBefore = start > range.lowerBound && Self.isWord(Self.scalar(before: start, in: p))
                let wordAfter = stop < range.upperBound && Self.isWord(Self.scalar(at: stop, in: p))
                if wordBefore || wordAfter { continue }
            }
            if token.lstrip {
                var s = start
                while s > range.lowerBound, Self.scalar(before: s, in: p).properties.isWhitespace {
                    s -= Self.length(before: s, in: p)
                }
                start = max(s, startOffset)
            }
            if token.rstrip {
                while stop < range.upperBound, Self.scalar(at: stop, in: p).properties.isWhitespace {
                    stop += Self.length(at: stop, in: p)
                }
                i = stop
            }
            if startOffset < start { out.append(.text(startOffset..<start)) }
            out.append(.token(token.id, start..<stop))
            startOffset = stop
        }
        if startOffset < range.upperBound { out.append(.text(startOffset..<range.upperBound)) }
        return out
    }

    /// Rust regex's Unicode \w: alphabetic, marks, decimal digits, connector punctuation, joiners.
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        let p = s.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    static func length(at i: Int, in p: UnsafeBufferPointer<UInt8>) -> Int {
        let b = p[i]
        return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
    }

    static func length(before i: Int, in p: UnsafeBufferPointer<UInt8>) -> Int {
        var j = i - 1
        while j > 0 && p[j] & 0xC0 == 0x80 { j -= 1 }
        return i - j
    }

    static func scalar(at i: Int, in p: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar {
        let n = length(at: i, in: p)
        var v = UInt32(n == 1 ? p[i] : n == 2 ? p[i] & 0x1F : n == 3 ? p[i] & 0x0F : p[i] & 0x07)
        for k in 1..<max(n, 1) { v = v << 6 | UInt32(p[i + k] & 0x3F) }
        return Unicode.Scalar(v) ?? "\u{FFFD}"
    }

    static func scalar(before i: Int, in p: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar {
        scalar(at: i - length(before: i, in: p), in: p)
    }
}
