// The patterns of Split pre-tokenizers and Replace normalizers/decoders: a literal string, or a
// regex. The regexes of today's models are recognised by their exact source and run by hand-written
// scanners that reproduce Oniguruma (the regex engine of the `tokenizers` library) exactly:
// GPT-2's (GPT2Pattern.swift), Llama 3's and Qwen2's (Llama3Pattern.swift). Any other regex
// runs on Foundation's NSRegularExpression (ICU), which reads the same syntax for the common
// constructs (\p{L}, (?i:…), (?!…), possessive and lazy quantifiers) but is not guaranteed to
// agree with Oniguruma on every corner (Unicode version, case folding), and is much slower.

import Foundation

/// A literal string or a regex, matched against UTF-8 text.
enum TextPattern: Sendable, Equatable {
    case string(String)
    case regex(RegexPattern)

    /// Calls `body` with the byte range of every non-empty match, left to right, not overlapping.
    func matches(in p: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        switch self {
        case .string(let s):
            let needle = Array(s.utf8)
            guard !needle.isEmpty, needle.count <= p.count else { return }
            var i = 0
            while i + needle.count <= p.count {
                if p[i] == needle[0] && (1..<needle.count).allSatisfy({ p[i + $0] == needle[$0] }) {
                    body(i..<(i + needle.count))
                    i += needle.count
                } else {
                    i += 1
                }
            }
        case .regex(let r):
            r.matches(in: p, body)
        }
    }

    /// `text` with every match replaced by `content`. Matching is on UTF-8 bytes, as Rust's
    /// `str::replace` (Foundation's replacingOccurrences compares grapheme clusters: " " followed
    /// by a combining mark would not match " ").
    func replacingMatches(in text: String, with content: String) -> String {
        var text = text
        return text.withUTF8 { p in
            var out: [UInt8] = []
            out.reserveCapacity(p.count)
            var last = 0
            matches(in: p) { r in
                out.append(contentsOf: p[last..<r.lowerBound])
                out.append(contentsOf: content.utf8)
                last = r.upperBound
            }
            out.append(contentsOf: p[last...])
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// A regex, run by a hand-written scanner when its source is one of the known patterns.
struct RegexPattern: Sendable, Equatable {
    enum Engine: Sendable {
        case gpt2
        /// Llama 3 (`\p{N}{1,3}`, maxDigits 3) and Qwen2 (`\p{N}`, maxDigits 1).
        case llama3(maxDigits: Int)
        case foundation(NSRegularExpression)
    }

    let source: String
    let engine: Engine

    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Compiles `source`; throws the regex engine's complaint for a pattern it cannot read.
    init(_ source: String) throws {
        self.source = source
        switch source {
        case Self.gpt2Source: engine = .gpt2
        case Self.llama3Source: engine = .llama3(maxDigits: 3)
        case Self.qwen2Source: engine = .llama3(maxDigits: 1)
        default:
            do {
                engine = .foundation(try NSRegularExpression(pattern: source))
            } catch {
                throw EngineError.invalidInput("the regex \(tokenQuoted(source)) does not compile (\(error.localizedDescription))")
            }
        }
    }

    static func == (a: RegexPattern, b: RegexPattern) -> Bool { a.source == b.source }

    /// Whether a hand-written scanner runs this pattern (exact `tokenizers` semantics, fast).
    var isKnown: Bool { if case .foundation = engine { false } else { true } }

    func matches(in p: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        switch engine {
        case .gpt2: GPT2Pattern.split(p, body)
        case .llama3(let maxDigits): Llama3Pattern.split(p, maxDigits: maxDigits, body)
        case .foundation(let regex):
            let text = String(decoding: p, as: UTF8.self)
            let utf16 = text.utf16
            // Byte offsets of UTF-16 positions, walked forward once (matches come in order).
            var u16 = utf16.startIndex, u16Offset = 0, byteOffset = 0
            func bytes(at target: Int) -> Int {
                while u16Offset < target {
                    let unit = utf16[u16]
                    if UTF16.isLeadSurrogate(unit) { byteOffset += 4; u16Offset += 2; u16 = utf16.index(u16, offsetBy: 2) } else {
                        byteOffset += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3
                        u16Offset += 1
                        u16 = utf16.index(after: u16)
                    }
                }
                return byteOffset
            }
            for m in regex.matches(in: text, range: NSRange(location: 0, length: utf16.count)) where m.range.length > 0 {
                let start = bytes(at: m.range.location)
                let end = bytes(at: m.range.location + m.range.length)
                body(start..<end)
            }
        }
    }
}
