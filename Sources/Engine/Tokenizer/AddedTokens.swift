// Added tokens (special ones such as <|endoftext|>, and any a user added): found in the text
// before pre-tokenization, the way `tokenizers`' AddedVocabulary does it. At the leftmost position
// where any token matches, the longest one wins; `single_word` tokens only match between non-word
// characters, `lstrip`/`rstrip` swallow the whitespace beside them. Tokens with `normalized: false`
// are matched first, then the `normalized: true` ones in the text between (with no normalizer the
// text is the same; the order still decides overlaps).

/// A token that is matched in the text as a whole instead of going through BPE.
public struct AddedToken: Codable, Sendable, Equatable {
    /// Its id (usually past the end of the BPE vocabulary, or equal to a vocabulary entry).
    public var id: Int
    /// The literal text that stands for it.
    public var content: String
    /// Only match when not inside a word (\w on neither side).
    public var singleWord: Bool
    /// Also take the whitespace on its left.
    public var lstrip: Bool
    /// Also take the whitespace on its right.
    public var rstrip: Bool
    /// Matched in normalized text (second pass) rather than raw text (first pass).
    public var normalized: Bool
    /// A control token (EOS, padding…): can be skipped when decoding, or refused inside text.
    public var special: Bool

    public init(id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false,
                rstrip: Bool = false, normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    enum CodingKeys: String, CodingKey {
        case id, content, lstrip, rstrip, normalized, special
        case singleWord = "single_word"
    }
}
