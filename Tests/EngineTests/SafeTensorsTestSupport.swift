// Helpers for the safetensors and checkpoint tests: fixture paths, temporary folders, raw
// safetensors bytes, and an expectation that an EngineError's message names what is wrong.
import Foundation
import Testing
@testable import Engine

enum CheckpointFixtures {
    static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("checkpoints")
    static func folder(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// Expected values of every tensor of a fixture (torch's `.float()`), by Hilo layout name.
    static func expected(_ fixture: String) throws -> [String: (shape: [Int], values: [Float])] {
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("expected/index.json"))) as! [String: Any]
        let entries = (index["fixtures"] as! [String: Any])[fixture] as! [[String: Any]]
        let bytes = try Data(contentsOf: root.appendingPathComponent("expected/\(fixture).bin"))
        let all: [Float] = bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for e in entries {
            let shape = e["shape"] as! [Int], offset = e["offset"] as! Int
            out[e["name"] as! String] = (shape, Array(all[offset..<(offset + shape.reduce(1, *))]))
        }
        return out
    }
}

/// A fresh empty folder under the temporary directory, removed by the caller with `removeCheckpointTempFolder`.
func makeCheckpointTempFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func removeCheckpointTempFolder(_ url: URL) { try? FileManager.default.removeItem(at: url) }

/// A safetensors file's bytes from a header string (unpadded) and data bytes.
func safetensorsBytes(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    var out: [UInt8] = []
    var n = (declaredLength ?? UInt64(h.count)).littleEndian
    withUnsafeBytes(of: &n) { out += $0 }
    return out + h + data
}

/// Expects `body` to throw an EngineError whose message contains every one of `parts`.
func expectCheckpointError(_ parts: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error mentioning \(parts), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as EngineError {
        let message = error.description
        for p in parts where !message.contains(p) {
            Issue.record("error \"\(message)\" does not mention \"\(p)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected an EngineError, got \(error)", sourceLocation: sourceLocation)
    }
}
