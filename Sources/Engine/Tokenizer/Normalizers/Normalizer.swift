// Normalizers: what `tokenizers` does to the text between added tokens before pre-tokenizing it.
// Unicode forms (NFC, NFKC, NFD, NFKD) use Foundation's normalization (ICU on Linux); Lowercase uses
// Swift's full Unicode lowercasing; Replace with a String pattern replaces every occurrence, left to
// right, without overlaps, as Rust's `str::replace` does; Prepend adds its text to non-empty text.

import Foundation

/// One normalization step, or a sequence of them, as tokenizer.json's `normalizer` describes it.
indirect enum Normalizer: Sendable, Equatable {
    case nfc, nfkc, nfd, nfkd
    case lowercase
    /// Every occurrence of `pattern` becomes `content`.
    case replace(pattern: TextPattern, content: String)
    /// `prefix` is put before the text unless the text is empty (Llama 2's "▁").
    case prepend(String)
    /// Removes leading / trailing whitespace.
    case strip(left: Bool, right: Bool)
    case sequence([Normalizer])

    func apply(_ text: String) -> String {
        switch self {
        case .nfc:
            // Scalars below U+0300 (UTF-8 lead bytes below 0xCC) are all already NFC (NFC_Quick_Check = Yes).
            return text.utf8.allSatisfy { $0 < 0xCC } ? text : text.precomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase: return text.lowercased()
        case .replace(let pattern, let content): return pattern.replacingMatches(in: text, with: content)
        case .prepend(let prefix): return text.isEmpty ? text : prefix + text
        case .strip(let left, let right):
            var scalars = Substring(text).unicodeScalars[...]
            if left { while let s = scalars.first, s.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let s = scalars.last, s.properties.isWhitespace { scalars.removeLast() } }
            return String(String.UnicodeScalarView(scalars))
        case .sequence(let steps): return steps.reduce(text) { $1.apply($0) }
        }
    }
}
