// The safetensors reader and writer: round trips, the header layout the format requires, files
// written by the Python library, and every kind of corrupt file as a clear error, never a crash.
import Foundation
import Testing
@testable import Engine

@Test func writerRoundTripsF32F16AndBF16InOrderWithPaddedHeader() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let a: [Float] = [1, -2, 0.5, 3.25, -0.0, 1e-3]
    let b: [Float] = [42]
    for dtype in [SafeTensorsFile.DType.f32, .f16, .bf16] {
        let url = dir.appendingPathComponent("t-\(dtype.rawValue).safetensors")
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try SafeTensorsWriter.write([.init(name: "z.first", shape: [2, 3], values: pa),
                                             .init(name: "a \"quoted\"\nname", shape: [1], values: pb)],
                                            dtype: dtype, to: url)
            }
        }
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        #expect(headerLength % 8 == 0, "header length \(headerLength) must be a multiple of 8")
        #expect(bytes.count == 8 + Int(headerLength) + (a.count + b.count) * dtype.size)
        let file = try SafeTensorsFile(url: url)
        #expect(file.names == ["z.first", "a \"quoted\"\nname"], "tensors keep the order they were written in")
        #expect(file.metadata == ["format": "pt"])
        #expect(file.info("z.first")?.shape == [2, 3])
        #expect(file.info("z.first")?.dtype == dtype)
        let back = try file.floats("z.first")
        let expected = a.map { dtype == .f32 ? $0 : dtype == .f16 ? HalfPrecision.float(fromHalf: HalfPrecision.half(from: $0))
                                                 : HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: $0)) }
        #expect(back.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(try file.floats("a \"quoted\"\nname") == [42])
    }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty, "no temporary files left behind: \(leftovers)")
}

@Test func readsFilesWrittenByThePythonLibraryWithTheirNamesShapesAndDtypes() throws {
    let file = try SafeTensorsFile(url: CheckpointFixtures.folder("lm_f32").appendingPathComponent("model.safetensors"))
    #expect(file.metadata["format"] == "pt")
    #expect(file.info("transformer.h.0.attn.c_attn.weight")?.shape == [16, 48])
    #expect(file.info("transformer.wte.weight")?.dtype == .f32)
    let expected = try CheckpointFixtures.expected("lm_f32")
    #expect(try file.floats("transformer.h.1.mlp.c_fc.weight") == expected["h.1.mlp.c_fc.weight"]!.values)
}

@Test func anEmptyTensorAndAnEmptyFileOfTensorsAreValid() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let url = dir.appendingPathComponent("e.safetensors")
    try Data(safetensorsBytes(header: #"{"e":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]}}"#, data: [])).write(to: url)
    let file = try SafeTensorsFile(url: url)
    #expect(try file.floats("e").isEmpty)
    try Data(safetensorsBytes(header: "{}", data: [])).write(to: url)
    #expect(try SafeTensorsFile(url: url).tensors.isEmpty)
}

/// Each corrupt header and the words its error must contain.
let corruptSafetensorsHeaders: [(String, String, [UInt8], [String])] = [
    ("not JSON", "{\"a\":", [], ["not valid JSON"]),
    ("not an object", "[1,2]", [], ["not a JSON object"]),
    ("unknown dtype", #"{"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], ["unknown dtype 'F17'", "'a'"]),
    ("missing dtype", #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], ["no dtype"]),
    ("negative dim", #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], ["invalid shape"]),
    ("fractional offset", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}"#, [0, 0, 0, 0], ["data_offsets"]),
    ("begin after end", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, [0, 0, 0, 0], ["begin after end"]),
    ("out of range", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, [0, 0, 0, 0], ["run past the end", "'a'"]),
    ("size mismatch", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], ["needs 8 bytes", "span 4"]),
    ("overlap", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
     [UInt8](repeating: 0, count: 8), ["overlap"]),
    ("gap", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [UInt8](repeating: 0, count: 8), ["gap", "0..<4"]),
    ("trailing bytes", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [UInt8](repeating: 0, count: 12), ["cover 4 bytes", "has 12"]),
    ("huge shape", #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], ["too large"]),
    ("deep nesting", String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000), [], ["not valid JSON"]),
    ("metadata not strings", #"{"__metadata__":{"format":1}}"#, [], ["__metadata__"]),
]

@Test(arguments: 0..<corruptSafetensorsHeaders.count)
func corruptHeaderIsAClearErrorNamingTheFile(_ i: Int) throws {
    let (label, header, data, words) = corruptSafetensorsHeaders[i]
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let url = dir.appendingPathComponent("bad.safetensors")
    try Data(safetensorsBytes(header: header, data: data)).write(to: url)
    expectCheckpointError([url.path, "corrupt safetensors header"] + words) { _ = try SafeTensorsFile(url: url) }
    _ = label
}

@Test func shortFilesAndBadHeaderLengthsAreClearErrors() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let url = dir.appendingPathComponent("x.safetensors")
    try Data([1, 2, 3]).write(to: url)
    expectCheckpointError([url.path, "shorter than the 8-byte header length"]) { _ = try SafeTensorsFile(url: url) }
    try Data(safetensorsBytes(header: "{}", data: [], declaredLength: 4096)).write(to: url)
    expectCheckpointError([url.path, "header length 4096 runs past the end of the file"]) { _ = try SafeTensorsFile(url: url) }
    try Data(safetensorsBytes(header: "{}", data: [], declaredLength: UInt64.max)).write(to: url)
    expectCheckpointError([url.path, "absurdly large"]) { _ = try SafeTensorsFile(url: url) }
    expectCheckpointError([dir.appendingPathComponent("missing.safetensors").path, "no such file"]) {
        _ = try SafeTensorsFile(url: dir.appendingPathComponent("missing.safetensors"))
    }
    expectCheckpointError([dir.path, "is a directory"]) { _ = try SafeTensorsFile(url: dir) }
    expectCheckpointError(["/dev/null", "not a regular file"]) { _ = try SafeTensorsFile(url: URL(fileURLWithPath: "/dev/null")) }
}

@Test func unsupportedDtypeIsRefusedOnReadWithAClearMessage() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let url = dir.appendingPathComponent("i64.safetensors")
    try Data(safetensorsBytes(header: #"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))).write(to: url)
    let file = try SafeTensorsFile(url: url)   // a valid file: the header is fine
    expectCheckpointError([url.path, "'ids'", "dtype I64", "F32, F16 and BF16"]) { _ = try file.floats("ids") }
    expectCheckpointError([url.path, "no tensor named 'nope'"]) { _ = try file.floats("nope") }
}

/// Every truncation of a valid file must throw (never crash); flipped bytes must throw or read cleanly.
@Test func truncatedAtEveryLengthOrWithFlippedBytesThrowsNeverCrashes() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let valid = try Data(contentsOf: CheckpointFixtures.root.appendingPathComponent("specials_f16.safetensors"))
    let url = dir.appendingPathComponent("fuzz.safetensors")
    var thrown = 0
    for length in 0..<valid.count {
        try valid.prefix(length).write(to: url)
        do { _ = try SafeTensorsFile(url: url); Issue.record("truncation at \(length) of \(valid.count) bytes was accepted") }
        catch is EngineError { thrown += 1 }
    }
    #expect(thrown == valid.count)

    // Flip each bit of the length field and the header; any outcome but a crash or a wrong-sized read is fine.
    var rng = SeededRNG(seed: 7)
    let headerEnd = 8 + Int(valid.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    for position in 0..<headerEnd {
        for bit in 0..<8 {
            var bytes = [UInt8](valid)
            bytes[position] ^= UInt8(1 << bit)
            try Data(bytes).write(to: url)
            do {
                let file = try SafeTensorsFile(url: url)
                for t in file.tensors where t.dtype.isLoadable { #expect(try file.floats(t.name).count == t.count) }
            } catch is EngineError {}
        }
    }
    // Random garbage after a plausible length field.
    for _ in 0..<300 {
        let n = Int(rng.next() % 200)
        var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        if bytes.count >= 8 && rng.next() % 2 == 0 { bytes[0] = UInt8(n - 8 > 0 ? rng.next() % UInt64(n - 8) : 0); for k in 1..<8 { bytes[k] = 0 } }
        try Data(bytes).write(to: url)
        do { _ = try SafeTensorsFile(url: url) } catch is EngineError {}
    }
}
