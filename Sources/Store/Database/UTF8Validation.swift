// Strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
// Import checks every line with it before parsing, so invalid bytes are an error, never replaced.
enum UTF8Validation {
    /// The byte offset of the first invalid sequence, or nil when `bytes` is valid UTF-8.
    static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            func cont(_ k: Int) -> Bool { i + k < n && bytes[i + k] & 0xC0 == 0x80 }
            switch b0 {
            case 0xC2...0xDF:
                guard cont(1) else { return i }
                i += 2
            case 0xE0...0xEF:
                guard cont(1), cont(2) else { return i }
                let b1 = bytes[i + 1]
                if b0 == 0xE0, b1 < 0xA0 { return i }      // overlong
                if b0 == 0xED, b1 > 0x9F { return i }      // surrogate
                i += 3
            case 0xF0...0xF4:
                guard cont(1), cont(2), cont(3) else { return i }
                let b1 = bytes[i + 1]
                if b0 == 0xF0, b1 < 0x90 { return i }      // overlong
                if b0 == 0xF4, b1 > 0x8F { return i }      // above U+10FFFF
                i += 4
            default: return i
            }
        }
        return nil
    }
}
