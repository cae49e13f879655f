// A reader for the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON naming each tensor's dtype, shape and
// [begin, end) byte range in the data section, then the data section itself.
//
// Opening a file reads and checks only the header; every byte range is validated before any
// tensor is read (in bounds, no overlap, no gap, size = shape × dtype size), so a corrupt file is
// an EngineError naming the file and the problem, never a crash. Tensors are then read with
// pread straight into the caller's float buffer (F32) or through a small scratch buffer
// (F16/BF16 converted to Float), so a 500 MB checkpoint is never held in memory twice.
// Immutable after opening and read with pread only, so one file may be read from several threads.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class SafeTensorsFile: Sendable {
    /// Element types the format defines. Hilo reads F32, F16 and BF16 into Float.
    public enum DType: String, Sendable, CaseIterable {
        case bool = "BOOL", u8 = "U8", i8 = "I8", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
        case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
        case i32 = "I32", u32 = "U32", f32 = "F32", f64 = "F64", i64 = "I64", u64 = "U64"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .bool, .u8, .i8, .f8e4m3, .f8e5m2: return 1
            case .i16, .u16, .f16, .bf16: return 2
            case .i32, .u32, .f32: return 4
            case .f64, .i64, .u64: return 8
            }
        }

        /// Whether `read(_:into:)` converts this type to Float.
        public var isLoadable: Bool { self == .f32 || self == .f16 || self == .bf16 }
    }

    /// One tensor's header entry.
    public struct TensorInfo: Sendable, Equatable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Byte range inside the data section (which starts right after the header).
        public var dataRange: Range<Int>
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// Headers beyond this are refused as corrupt (the reference implementation uses the same bound).
    public static let maxHeaderSize = 100_000_000

    /// The file's path, used in every error message.
    public let path: String
    /// Tensors in data order (ascending offsets).
    public let tensors: [TensorInfo]
    /// The optional `__metadata__` string map, e.g. ["format": "pt"].
    public let metadata: [String: String]
    /// Size of the file in bytes.
    public let fileSize: Int
    private let dataStart: Int
    private let fd: Int32
    private let index: [String: Int]

    /// Opens `url` and validates its header; throws EngineError.badFile on any problem.
    public init(url: URL) throws {
        let path = url.path
        self.path = path
        func bad(_ reason: String) -> EngineError { .badFile(path: path, reason: reason) }

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw bad("no such file")
        }
        guard !isDirectory.boolValue else { throw bad("is a directory, not a safetensors file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)   // never block on a FIFO or device
        guard fd >= 0 else { throw bad("cannot open: \(String(cString: strerror(errno)))") }
        var closeOnError = true
        defer { if closeOnError { close(fd) } }

        var st = stat()
        guard fstat(fd, &st) == 0 else { throw bad("cannot stat: \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw bad("not a regular file") }
        let fileSize = Int(st.st_size)
        guard fileSize >= 8 else {
            throw bad("truncated safetensors file: \(fileSize) bytes, shorter than the 8-byte header length")
        }
        var lengthBytes: UInt64 = 0
        try Self.readFully(fd: fd, into: &lengthBytes, byteCount: 8, at: 0, path: path)
        let headerLength = UInt64(littleEndian: lengthBytes)
        guard headerLength <= UInt64(Self.maxHeaderSize) else {
            throw bad("corrupt safetensors header: header length \(headerLength) is absurdly large (limit \(Self.maxHeaderSize))")
        }
        guard 8 + Int(headerLength) <= fileSize else {
            throw bad("truncated or corrupt safetensors file: header length \(headerLength) runs past the end of the file (\(fileSize) bytes)")
        }
        guard headerLength >= 2 else { throw bad("corrupt safetensors header: \(headerLength)-byte header is not a JSON object") }
        var headerData = Data(count: Int(headerLength))
        try headerData.withUnsafeMutableBytes { raw in
            try Self.readFully(fd: fd, into: raw.baseAddress!, byteCount: raw.count, at: 8, path: path)
        }

        let (tensors, metadata) = try Self.parseHeader(headerData, dataSize: fileSize - 8 - Int(headerLength), path: path)
        self.tensors = tensors
        self.metadata = metadata
        self.fileSize = fileSize
        self.dataStart = 8 + Int(headerLength)
        self.fd = fd
        self.index = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        closeOnError = false
    }

    deinit { close(fd) }

    /// Tensor names in data order.
    public var names: [String] { tensors.map(\.name) }

    /// The header entry for `name`, if the file has it.
    public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

    /// Reads tensor `name` into `destination` (exactly its element count), converting F16 and
    /// BF16 to Float. Throws for a missing tensor, a dtype Hilo cannot load, or a short read.
    public func read(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard let t = info(name) else { throw EngineError.badFile(path: path, reason: "no tensor named '\(name)'") }
        guard t.dtype.isLoadable else {
            throw EngineError.badFile(path: path, reason: "tensor '\(name)' has dtype \(t.dtype.rawValue); Hilo loads F32, F16 and BF16 only")
        }
        precondition(destination.count == t.count, "destination holds \(destination.count) floats, tensor \(name) has \(t.count)")
        guard t.count > 0 else { return }
        let base = destination.baseAddress!
        let offset = dataStart + t.dataRange.lowerBound
        switch t.dtype {
        case .f32:
            try Self.readFully(fd: fd, into: base, byteCount: t.count * 4, at: offset, path: path)
            #if _endian(big)
            for i in 0..<t.count { base[i] = Float(bitPattern: UInt32(littleEndian: base[i].bitPattern)) }
            #endif
        case .f16, .bf16:
            // Convert through a bounded scratch buffer: 64 K elements at a time.
            let chunk = 65_536
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: chunk * 2, alignment: 16)
            defer { scratch.deallocate() }
            var done = 0
            while done < t.count {
                let n = min(chunk, t.count - done)
                try Self.readFully(fd: fd, into: scratch, byteCount: n * 2, at: offset + done * 2, path: path)
                if t.dtype == .f16 {
                    HalfPrecision.convertHalf(UnsafeRawPointer(scratch), to: base + done, count: n)
                } else {
                    HalfPrecision.convertBFloat16(UnsafeRawPointer(scratch), to: base + done, count: n)
                }
                done += n
            }
        default:
            preconditionFailure("unreachable: checked isLoadable")
        }
    }

    /// Tensor `name` as a new Float array (convenience for tests and small tensors).
    public func floats(_ name: String) throws -> [Float] {
        guard let t = info(name) else { throw EngineError.badFile(path: path, reason: "no tensor named '\(name)'") }
        var out = [Float](repeating: 0, count: t.count)
        try out.withUnsafeMutableBufferPointer { try read(name, into: $0) }
        return out
    }

    /// pread until `byteCount` bytes arrive; a file that ends early is a truncated file.
    static func readFully(fd: Int32, into buffer: UnsafeMutableRawPointer, byteCount: Int, at offset: Int, path: String) throws {
        var done = 0
        while done < byteCount {
            let n = pread(fd, buffer + done, byteCount - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw EngineError.badFile(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw EngineError.badFile(path: path, reason: "file ended early (truncated while reading)") }
            done += n
        }
    }
}
