// Appends JSON to a byte buffer: the hot path of export (no Foundation, no intermediate strings),
// and the one JSON string quoter: the API's hand-written replies, and the engine's files whose exact
// bytes matter (tokenizer.json, the safetensors header), quote strings here.
public struct JSONWriter {
    public var bytes: [UInt8] = []

    public init() { bytes.reserveCapacity(256) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func raw(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    public mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// A JSON string literal from UTF-8 bytes (escaping quotes, backslashes and controls).
    public mutating func string(utf8 s: UnsafeBufferPointer<UInt8>) {
        bytes.append(0x22)
        stringContent(utf8: s)
        bytes.append(0x22)
    }

    /// The escaped content of a string literal, without quotes: write a literal in parts with
    /// `raw("\"")`, several `stringContent` calls, and `raw("\"")`.
    public mutating func stringContent(utf8 s: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for (k, c) in s.enumerated() where c < 0x20 || c == 0x22 || c == 0x5c {
            if runStart < k { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: s[runStart..<k])) }
            runStart = k + 1
            switch c {
            case 0x22: raw("\\\"")
            case 0x5c: raw("\\\\")
            case 0x0a: raw("\\n")
            case 0x0d: raw("\\r")
            case 0x09: raw("\\t")
            default:
                raw("\\u00")
                bytes.append(c >> 4 < 10 ? 0x30 + (c >> 4) : 0x57 + (c >> 4)); bytes.append(c & 15 < 10 ? 0x30 + (c & 15) : 0x57 + (c & 15))
            }
        }
        if runStart < s.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: s[runStart..<s.count])) }
    }

    /// `s` as a JSON string literal: quotes, backslashes and control characters (below U+0020)
    /// escaped, everything else as UTF-8.
    public static func literal(_ s: String) -> String {
        var w = JSONWriter()
        w.string(s)
        return w.string
    }

    public mutating func stringContent(_ s: [UInt8]) { s.withUnsafeBufferPointer { stringContent(utf8: $0) } }
    public mutating func string(bytes s: [UInt8]) { s.withUnsafeBufferPointer { string(utf8: $0) } }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { string(utf8: $0) }
    }

    public mutating func int(_ v: Int64) { raw(String(v)) }

    public mutating func number(_ v: Double) {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { raw(String(Int64(v))) } else if v.isFinite { raw("\(v)") } else { raw("null") }
    }
}
