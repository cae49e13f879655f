// Writes safetensors files: the 8-byte little-endian header length, the JSON header padded with
// spaces to a multiple of 8 bytes (so the data section is 8-byte aligned, as the format asks),
// then the tensors' bytes back to back in the order given. The file appears atomically: it is
// written to a temporary file in the same folder, flushed to disk, then renamed over the target.
import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

public enum SafeTensorsWriter {
    /// One tensor to write. `values` must stay valid for the duration of `write`.
    public struct Entry {
        public var name: String
        public var shape: [Int]
        public var values: UnsafeBufferPointer<Float>
        public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
            precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) does not match \(values.count) values")
            self.name = name; self.shape = shape; self.values = values
        }
    }

    /// Writes `entries` in order to `url` atomically. `dtype` is F32 (Hilo's own files) or F16 /
    /// BF16 (rounded to nearest even), e.g. to make test files.
    public static func write(_ entries: [Entry], metadata: [String: String] = ["format": "pt"],
                             dtype: SafeTensorsFile.DType = .f32, to url: URL) throws {
        precondition(dtype == .f32 || dtype == .f16 || dtype == .bf16, "the writer writes F32, F16 or BF16")
        precondition(Set(entries.map(\.name)).count == entries.count, "duplicate tensor names")
        let header = headerBytes(entries.map { ($0.name, $0.shape) }, metadata: metadata, dtype: dtype)
        try EngineError.writingFiles { try AtomicFile.write(to: url) { out in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try out.write($0) }
            try header.withUnsafeBytes { try out.write($0) }
            for e in entries where e.values.count > 0 {
                switch dtype {
                case .f32:
                    #if _endian(big)
                    let swapped = e.values.map { $0.bitPattern.littleEndian }
                    try swapped.withUnsafeBytes { try out.write($0) }
                    #else
                    try out.write(UnsafeRawBufferPointer(e.values))
                    #endif
                default:
                    // Convert in bounded chunks so a large tensor needs no full-size copy.
                    let chunk = 65_536
                    var scratch = [UInt16](repeating: 0, count: min(chunk, e.values.count))
                    var done = 0
                    while done < e.values.count {
                        let n = min(chunk, e.values.count - done)
                        for i in 0..<n {
                            let v = e.values[done + i]
                            scratch[i] = (dtype == .f16 ? HalfPrecision.half(from: v) : HalfPrecision.bfloat16(from: v)).littleEndian
                        }
                        try scratch.withUnsafeBytes { try out.write(UnsafeRawBufferPointer(rebasing: $0[0..<(2 * n)])) }
                        done += n
                    }
                }
            }
        } }
    }

    /// Writes every tensor of `parameters` in layout order, each name prefixed by `prefix(name)`.
    public static func write(_ parameters: ParameterBuffer, name: (String) -> String = { $0 },
                             metadata: [String: String] = ["format": "pt"], to url: URL) throws {
        let entries = parameters.layout.tensors.map { t in
            Entry(name: name(t.name), shape: t.shape,
                  values: UnsafeBufferPointer(start: parameters.base + t.offset, count: t.count))
        }
        try write(entries, metadata: metadata, to: url)
    }

    /// The JSON header, space-padded to a multiple of 8 bytes.
    static func headerBytes(_ tensors: [(name: String, shape: [Int])], metadata: [String: String],
                            dtype: SafeTensorsFile.DType) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\(JSONWriter.literal($0.key)):\(JSONWriter.literal($0.value))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let bytes = t.shape.reduce(1, *) * dtype.size
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(JSONWriter.literal(t.name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        return header
    }
}
