// Parsing and validating a safetensors JSON header: every entry's dtype, shape and byte range,
// checked against the data section before any tensor is read.
import Foundation

extension SafeTensorsFile {
    static func parseHeader(_ data: Data, dataSize: Int, path: String) throws -> ([TensorInfo], [String: String]) {
        func bad(_ reason: String) -> EngineError { .badFile(path: path, reason: "corrupt safetensors header: " + reason) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw bad("the header is not valid JSON")
        }
        guard let object = json as? [String: Any] else { throw bad("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw bad("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw bad("entry '\(name)' is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw bad("tensor '\(name)' has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw bad("tensor '\(name)' has unknown dtype '\(dtypeName)'")
            }
            guard let shapeArray = entry["shape"] as? [Any] else { throw bad("tensor '\(name)' has no shape") }
            var shape: [Int] = []
            var count = 1
            for d in shapeArray {
                guard let dim = integer(d), dim >= 0 else { throw bad("tensor '\(name)' has an invalid shape \(shapeArray)") }
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw bad("tensor '\(name)' shape \(shapeArray) is too large") }
                shape.append(dim); count = product
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = integer(offsets[0]), let end = integer(offsets[1]) else {
                throw bad("tensor '\(name)' has no valid data_offsets [begin, end]")
            }
            guard begin >= 0, begin <= end else {
                throw bad("tensor '\(name)' has data_offsets [\(begin), \(end)] with begin after end")
            }
            guard end <= dataSize else {
                throw bad("tensor '\(name)' data_offsets [\(begin), \(end)] run past the end of the data (\(dataSize) bytes; file truncated?)")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, bytes == end - begin else {
                throw bad("tensor '\(name)' is \(dtypeName) \(shape): needs \(overflow ? "too many" : String(bytes)) bytes but data_offsets span \(end - begin)")
            }
            tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, dataRange: begin..<end))
        }

        // The byte ranges must tile the data section exactly: no overlap, no gap, nothing after.
        tensors.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name) }
        var expected = 0
        for t in tensors {
            if t.dataRange.lowerBound < expected {
                throw bad("tensor '\(t.name)' data_offsets [\(t.dataRange.lowerBound), \(t.dataRange.upperBound)] overlap the previous tensor, which ends at \(expected)")
            }
            if t.dataRange.lowerBound > expected {
                throw bad("gap in the data: bytes \(expected)..<\(t.dataRange.lowerBound) belong to no tensor (before '\(t.name)')")
            }
            expected = t.dataRange.upperBound
        }
        guard expected == dataSize else {
            throw bad("the tensors cover \(expected) bytes but the data section has \(dataSize)")
        }
        return (tensors, metadata)
    }

    /// A JSON number that is an integer (not a Bool, not written with a fraction or exponent), else nil.
    private static func integer(_ value: Any) -> Int? {
        guard let n = value as? NSNumber else { return nil }
        // Foundation bridges JSON true/false and 1.0 to NSNumber too; its objCType tells them apart.
        let kind = String(cString: n.objCType)
        guard kind != "c", kind != "B", kind != "d", kind != "f" else { return nil }
        let i = n.int64Value
        guard n == NSNumber(value: i) else { return nil }   // out of Int64 range
        return Int(exactly: i)
    }
}
