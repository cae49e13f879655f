// Pre-tokenizers: how `tokenizers` cuts normalized text into the pieces the model encodes one by
// one. Each step cuts every piece of the step before it; steps that change the text (ByteLevel's
// prefix space, Metaspace's "▁") hand on a new buffer. ByteLevel is always last: after it the
// model sees bytes spelled through the byte-level table (BPEModel's byte-level mode).

/// One pre-tokenization step, or a sequence of them, as tokenizer.json's `pre_tokenizer` describes it.
indirect enum PreTokenizer: Sendable, Equatable {
    /// GPT-2's: a space before text that does not start with one, then GPT-2's regex (use_regex).
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(pattern: TextPattern, behavior: SplitBehavior, invert: Bool)
    /// Numbers (Unicode N*) apart from the rest; each digit alone when `individual`.
    case digits(individual: Bool)
    /// SentencePiece's: spaces become `replacement` ("▁"), which is also put in front (per
    /// `prependScheme`); with `split`, each "▁" starts a new piece.
    case metaspace(replacement: String, prependScheme: PrependScheme, split: Bool)
    case sequence([PreTokenizer])

    enum PrependScheme: String, Sendable {
        case always, first, never
    }

    /// Whether the model sees byte-level spellings (the last step is ByteLevel).
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let steps): return steps.last?.isByteLevel ?? false
        default: return false
        }
    }

    /// Whether a ByteLevel step is anywhere inside.
    var containsByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let steps): return steps.contains { $0.containsByteLevel }
        default: return false
        }
    }

    /// Calls `body` with each piece of `p`. `atStart`: `p` begins the whole text (Metaspace's
    /// "first" scheme prepends only there).
    func pieces(_ p: UnsafeBufferPointer<UInt8>, atStart: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        switch self {
        case .byteLevel(let addPrefixSpace, let useRegex):
            if addPrefixSpace && p.first != 0x20 {
                var prefixed = [UInt8](repeating: 0x20, count: p.count + 1)
                prefixed.withUnsafeMutableBufferPointer { q in _ = UnsafeMutableBufferPointer(rebasing: q[1...]).initialize(from: p) }
                prefixed.withUnsafeBufferPointer { q in Self.byteLevelSplit(q, useRegex: useRegex, body) }
            } else {
                Self.byteLevelSplit(p, useRegex: useRegex, body)
            }
        case .split(.regex(let regex), .isolated, false) where regex.isKnown:
            // The known scanners' matches tile the text: each match is a piece, no list needed.
            regex.matches(in: p) { r in body(UnsafeBufferPointer(rebasing: p[r])) }
        case .split(let pattern, let behavior, let invert):
            var matches: [Range<Int>] = []
            pattern.matches(in: p) { matches.append($0) }
            for r in behavior.pieces(length: p.count, matches: matches, invert: invert) { body(UnsafeBufferPointer(rebasing: p[r])) }
        case .digits(let individual):
            var ranges: [Range<Int>] = []
            var i = 0
            while i < p.count {
                let (c, n) = GPT2Pattern.scalar(p, i)
                if c == .number { ranges.append(i..<(i + n)) }
                i += n
            }
            for r in (individual ? SplitBehavior.isolated : .contiguous).pieces(length: p.count, matches: ranges, invert: false) {
                body(UnsafeBufferPointer(rebasing: p[r]))
            }
        case .metaspace(let replacement, let scheme, let split):
            let marker = Array(replacement.utf8)
            var text: [UInt8] = []
            text.reserveCapacity(p.count + 8)
            for b in p { if b == 0x20 { text.append(contentsOf: marker) } else { text.append(b) } }
            let startsWithMarker = text.starts(with: marker)
            if !startsWithMarker && (scheme == .always || (scheme == .first && atStart)) { text.insert(contentsOf: marker, at: 0) }
            text.withUnsafeBufferPointer { q in
                guard split else { body(q); return }
                var matches: [Range<Int>] = []
                TextPattern.string(replacement).matches(in: q) { matches.append($0) }
                for r in SplitBehavior.mergedWithNext.pieces(length: q.count, matches: matches, invert: false) {
                    body(UnsafeBufferPointer(rebasing: q[r]))
                }
            }
        case .sequence(let steps):
            Self.run(steps[...], p, atStart: atStart, body)
        }
    }

    private static func run(_ steps: ArraySlice<PreTokenizer>, _ p: UnsafeBufferPointer<UInt8>, atStart: Bool,
                            _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let step = steps.first else { body(p); return }
        var first = true
        step.pieces(p, atStart: atStart) { q in
            run(steps.dropFirst(), q, atStart: atStart && first, body)
            first = false
        }
    }

    @inline(__always)
    private static func byteLevelSplit(_ p: UnsafeBufferPointer<UInt8>, useRegex: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard useRegex else { body(p); return }
        GPT2Pattern.split(p) { r in body(UnsafeBufferPointer(rebasing: p[r])) }
    }
}
