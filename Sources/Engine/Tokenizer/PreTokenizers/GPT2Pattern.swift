// GPT-2's pre-tokenizer regex (ByteLevel's use_regex), written out by hand instead of with a regex engine:
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// It walks valid UTF-8 one Unicode scalar at a time (the regex works on code points, not on
// grapheme clusters, so "e" + U+0301 splits into a letter and a mark) and reports each piece as a
// byte range. Every scalar is a letter (L*), a number (N*), whitespace (the White_Space property,
// which is Oniguruma's \s) or "other", so a match always starts where the previous one ended and
// the pieces tile the input. Contractions are case-sensitive, as in GPT-2: "'S" is "'" then "S".

/// Splits text into the pieces of GPT-2's regex (the scalar classes serve Llama3Pattern too).
public enum GPT2Pattern {
    /// The class of a scalar as the pattern sees it.
    enum Class: UInt8 { case letter, number, space, other }

    /// The class of an ASCII byte (written as comparisons: a static table costs a lazy-init check per use).
    @inline(__always)
    static func asciiClass(_ b: UInt8) -> Class {
        if b &- 0x61 < 26 || b &- 0x41 < 26 { return .letter }
        if b &- 0x30 < 10 { return .number }
        if b == 0x20 || b &- 0x09 < 5 { return .space }
        return .other
    }

    /// The Unicode version of the regex engine in `tokenizers` 0.23 (Oniguruma 6.9.10): letters
    /// and numbers assigned later (Swift's tables are newer) are still unassigned, i.e. "other", there.
    static let patternUnicodeVersion = (major: 16, minor: 0)

    @inline(__always)
    static func classify(_ value: UInt32) -> Class {
        if value < 128 { return asciiClass(UInt8(value)) }
        let props = Unicode.Scalar(value)!.properties
        if props.isWhitespace { return .space }
        let c: Class
        switch props.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            c = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            c = .number
        default:
            return .other
        }
        if let age = props.age, (age.major, age.minor) > patternUnicodeVersion { return .other }
        return c
    }

    /// The scalar starting at byte `i` of valid UTF-8: its class and its length in bytes.
    @inline(__always)
    static func scalar(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Class, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (asciiClass(b0), 1) }
        if b0 < 0xE0 {
            return (classify(UInt32(b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F)), 2)
        }
        if b0 < 0xF0 {
            return (classify(UInt32(b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F)), 3)
        }
        return (classify(UInt32(b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12
                         | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F)), 4)
    }

    /// The end of the run of scalars of class `c` starting at byte `i`.
    @inline(__always)
    static func run(_ p: UnsafeBufferPointer<UInt8>, from i: Int, of c: Class) -> Int {
        var j = i
        while j < p.count {
            let (k, n) = scalar(p, j)
            if k != c { break }
            j += n
        }
        return j
    }

    /// Calls `body` with the byte range of every piece of `text`, in order.
    /// `text` must be valid UTF-8 (the bytes of a Swift String).
    public static func split(_ p: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let end = p.count
        var i = 0
        while i < end {
            let b = p[i]
            // 's 't 're 've 'm 'll 'd
            if b == 0x27, i + 1 < end {
                let c1 = p[i + 1]
                if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { body(i..<(i + 2)); i += 2; continue }
                if i + 2 < end {
                    let c2 = p[i + 2]
                    if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) {
                        body(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional plain space, then a run.
            var start = i
            if b == 0x20, i + 1 < end {
                let (next, _) = scalar(p, i + 1)
                if next != .space { start = i + 1 }
            }
            let (c, n) = scalar(p, start)
            if c != .space {
                let stop = run(p, from: start + n, of: c)
                body(i..<stop)
                i = stop
                continue
            }
            // "\s+(?!\S)" then "\s+": a whitespace run gives up its last scalar to the word after it.
            var stop = i
            var last = i
            while stop < end {
                let (k, m) = scalar(p, stop)
                if k != .space { break }
                last = stop
                stop += m
            }
            if stop < end && last > i { stop = last }
            body(i..<stop)
            i = stop
        }
    }

    /// The pieces of a string, as strings (for tests and tools; encoding uses `split`).
    public static func pieces(_ text: String) -> [String] {
        var text = text
        var out: [String] = []
        text.withUTF8 { p in
            split(p) { r in out.append(String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self)) }
        }
        return out
    }
}
