// Decoders: how `tokenizers` turns token spellings back into text. Each step maps the list of
// token strings to a new list (decode_chain); the results are concatenated at the end.
//  - ByteLevel: all tokens' byte-level characters back to bytes, read as UTF-8 (invalid → U+FFFD);
//    a token with a character outside the table contributes its own UTF-8 instead.
//  - Metaspace: "▁" becomes a space, except in the first token (dropped there) unless prepend_scheme is never.
//  - ByteFallback: runs of `<0xNN>` tokens become their bytes as UTF-8 text, or one U+FFFD per byte
//    when the run is not valid UTF-8.
//  - Fuse: all tokens joined into one. Replace: a pattern replaced in every token.
//  - Strip: up to `start` leading and `stop` trailing `content` characters cut from every token.
// Characters here are Unicode scalars, as Rust's `char`, never grapheme clusters.

/// One decoding step, or a sequence of them, as tokenizer.json's `decoder` describes it.
indirect enum TokenDecoder: Sendable, Equatable {
    case byteLevel
    case metaspace(replacement: Unicode.Scalar, prependScheme: PreTokenizer.PrependScheme)
    case byteFallback
    case fuse
    case replace(pattern: TextPattern, content: String)
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case sequence([TokenDecoder])

    /// Whether this is exactly the ByteLevel decoder (the tokenizer then decodes from its byte table).
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let steps): return steps.count == 1 && steps[0].isByteLevel
        default: return false
        }
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens { bytes.append(contentsOf: ByteLevel.decode(t) ?? Array(t.utf8)) }
            return [String(decoding: bytes, as: UTF8.self)]
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { i, token in
                var out = String.UnicodeScalarView()
                for c in token.unicodeScalars {
                    if c != replacement { out.append(c) } else if i > 0 || scheme == .never { out.append(" ") }
                }
                return String(out)
            }
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let s = String(validating: pending, as: UTF8.self) { out.append(s) } else {
                    out.append(contentsOf: Array(repeating: "\u{FFFD}", count: pending.count))
                }
                pending.removeAll()
            }
            for t in tokens {
                if let b = Self.fallbackByte(t) { pending.append(b) } else { flush(); out.append(t) }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case .replace(let pattern, let content):
            return tokens.map { pattern.replacingMatches(in: $0, with: content) }
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                let chars = Array(token.unicodeScalars)
                var startCut = 0
                while startCut < min(start, chars.count) && chars[startCut] == content { startCut += 1 }
                var stopCut = chars.count
                while chars.count - stopCut < min(stop, chars.count - startCut) && chars[stopCut - 1] == content { stopCut -= 1 }
                return String(String.UnicodeScalarView(chars[startCut..<stopCut]))
            }
        case .sequence(let steps):
            return steps.reduce(tokens) { $1.decodeChain($0) }
        }
    }

    /// The byte of a `<0xNN>` token (6 bytes, two hex digits of either case), or nil.
    static func fallbackByte(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }
}
