// The pre-tokenizer regex of Llama 3 (and, with single digits, of Qwen2), written out by hand:
//
//     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Oniguruma tries the alternatives in order at each position and takes the first that matches:
//  1. a contraction, any case ("'S", "'Ll"; Unicode case folding also lets "ſ" stand for "s");
//  2. one scalar that is not \r, \n, a letter or a number (a space, a tab, "." …) then a run of letters;
//  3. one to `maxDigits` numbers (Llama 3: 3, Qwen2: 1);
//  4. an optional space, a run of "other" scalars, then any \r and \n;
//  5. a whitespace run up to and including its last \r or \n (\s* backtracks to it);
//  6. a whitespace run minus its last scalar when a non-space follows (so " x" stays together), or
//     7. the single whitespace scalar left.
// Scalar classes (letter, number, White_Space, other) are GPT2Pattern.classify's, which match
// Oniguruma's Unicode tables (TokenizerGoldenTests checks every code point).

enum Llama3Pattern {
    @inline(__always)
    static func isNewline(_ b: UInt8) -> Bool { b == 0x0A || b == 0x0D }

    /// The length of the contraction at byte `i` (an apostrophe), or nil.
    @inline(__always)
    static func contraction(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard i + 1 < p.count else { return nil }
        let c1 = p[i + 1] | 0x20  // ASCII case folding: only b and b - 0x20 fold to a lower-case letter b
        if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { return 2 }  // s t m d
        if p[i + 1] == 0xC5 && i + 2 < p.count && p[i + 2] == 0xBF { return 3 }  // ſ (U+017F) folds to s
        guard i + 2 < p.count else { return nil }
        let c2 = p[i + 2] | 0x20
        if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) { return 3 }  // re ve ll
        return nil
    }

    /// Calls `body` with the byte range of every piece of valid UTF-8 text, in order.
    static func split(_ p: UnsafeBufferPointer<UInt8>, maxDigits: Int, _ body: (Range<Int>) -> Void) {
        let end = p.count
        var i = 0
        while i < end {
            let b = p[i]
            if b == 0x27, let n = contraction(p, i) { body(i..<(i + n)); i += n; continue }
            let (c, n) = GPT2Pattern.scalar(p, i)
            // 2. [^\r\n\p{L}\p{N}]?\p{L}+
            if c == .letter {
                let stop = GPT2Pattern.run(p, from: i + n, of: .letter)
                body(i..<stop); i = stop; continue
            }
            if c != .number && !isNewline(b) && i + n < end {
                let (next, m) = GPT2Pattern.scalar(p, i + n)
                if next == .letter {
                    let stop = GPT2Pattern.run(p, from: i + n + m, of: .letter)
                    body(i..<stop); i = stop; continue
                }
            }
            // 3. \p{N}{1,maxDigits}
            if c == .number {
                var stop = i + n, count = 1
                while count < maxDigits && stop < end {
                    let (k, m) = GPT2Pattern.scalar(p, stop)
                    if k != .number { break }
                    stop += m
                    count += 1
                }
                body(i..<stop); i = stop; continue
            }
            // 4. " ?[^\s\p{L}\p{N}]+[\r\n]*"
            var start = i, first = c, firstLength = n
            if b == 0x20 && i + 1 < end {
                let (next, m) = GPT2Pattern.scalar(p, i + 1)
                if next == .other { start = i + 1; first = next; firstLength = m }
            }
            if first == .other {
                var stop = GPT2Pattern.run(p, from: start + firstLength, of: .other)
                while stop < end && isNewline(p[stop]) { stop += 1 }
                body(i..<stop); i = stop; continue
            }
            // Whitespace from here on: 5. \s*[\r\n]+, 6. \s+(?!\S), 7. \s+
            var stop = i, lastStart = i, newlineEnd = -1
            while stop < end {
                let (k, m) = GPT2Pattern.scalar(p, stop)
                if k != .space { break }
                if isNewline(p[stop]) { newlineEnd = stop + 1 }
                lastStart = stop
                stop += m
            }
            if newlineEnd > 0 {
                stop = newlineEnd
            } else if stop < end && lastStart > i {
                stop = lastStart
            }
            body(i..<stop)
            i = stop
        }
    }
}
