// GPT-2's byte-to-unicode table: every byte 0...255 gets a printable Unicode character, so a
// byte-level BPE vocabulary can be written as text (vocab.json, merges.txt, tokenizer.json).
// Printable Latin-1 bytes map to themselves; the other 68 (controls, space, 0x7F–0xA0, 0xAD) map to
// U+0100 upward in byte order, which is why a space shows up as "Ġ" (U+0120) and "\n" as "Ċ".

/// The byte ↔ character table of byte-level BPE (GPT-2, RoBERTa, `tokenizers`' ByteLevel).
public enum ByteLevel {
    /// `scalar[b]` is the character that stands for byte `b` in vocabularies.
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a table character stands for, or nil for any other character.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 {
            let b = Int(v)
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            return printable ? UInt8(b) : nil
        }
        guard v < 256 + 68 else { return nil }
        return unmappedBytes[Int(v - 256)]
    }

    /// The bytes that are not printable themselves, in the order they take U+0100, U+0101, …
    static let unmappedBytes: [UInt8] = (0..<256).compactMap { b in
        let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
        return printable ? nil : UInt8(b)
    }

    /// The vocabulary spelling of raw bytes: one table character per byte.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalars[Int(b)]) }
        return String(s)
    }

    /// The raw bytes a vocabulary string spells, or nil if one of its characters is not in the table.
    public static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for s in token.unicodeScalars {
            guard let b = byte(for: s) else { return nil }
            out.append(b)
        }
        return out
    }
}
