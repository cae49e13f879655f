// Writes a parsed JSONValue with Support's JSONWriter: the canonical text of stored JSON columns
// and content hashes (keys in their stored order, numbers as JSONWriter writes them).
import Support

extension JSONWriter {
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case let .bool(b): raw(b ? "true" : "false")
        case let .number(n): number(n)
        case let .string(s): string(s)
        case let .array(items):
            bytes.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { bytes.append(UInt8(ascii: ",")) }
                value(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case let .object(pairs):
            bytes.append(UInt8(ascii: "{"))
            for (k, pair) in pairs.enumerated() {
                if k > 0 { bytes.append(UInt8(ascii: ",")) }
                string(pair.0)
                bytes.append(UInt8(ascii: ":"))
                value(pair.1)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}
