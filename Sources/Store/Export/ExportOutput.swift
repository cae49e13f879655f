// Where an export goes: standard output, or a file written under a temporary name in the same
// folder and renamed into place only when complete (Support's AtomicFile), so a failed export
// never leaves half a file. Rows are gathered in a 256 KiB buffer between writes.
import Foundation
import Support

public final class ExportOutput {
    public let path: String?
    private let file: AtomicFile.Output
    private var buffer: [UInt8] = []
    private var closed = false
    /// Bytes written so far.
    public private(set) var byteCount = 0

    /// Standard output.
    public init() {
        path = nil; file = .standardOutput()
        buffer.reserveCapacity(1 << 18)
    }

    /// A file at `path`, created under a temporary name until `commit()`.
    public init(path: String) throws {
        self.path = path
        file = try Self.storeError { try AtomicFile.Output(creating: URL(fileURLWithPath: path)) }
        buffer.reserveCapacity(1 << 18)
    }

    deinit { if !closed { abort() } }

    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 18 { try flush() }
    }

    func write(_ w: inout JSONWriter) throws {
        w.bytes.append(0x0A)
        buffer.append(contentsOf: w.bytes)
        w.bytes.removeAll(keepingCapacity: true)
        if buffer.count >= 1 << 18 { try flush() }
    }

    public func flush() throws {
        try Self.storeError { try buffer.withUnsafeBytes { try file.write($0) } }
        byteCount += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, fsyncs and renames the file into place (or just flushes standard output).
    public func commit() throws {
        try flush()
        closed = true
        try Self.storeError { try file.commit() }
    }

    /// Drops a file export: the temporary file is removed and `path` is left as it was.
    public func abort() {
        guard !closed else { return }
        closed = true
        file.discard()
    }

    /// Store's error for a failed write, with AtomicFile's "path: reason" text.
    private static func storeError<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as AtomicFileError { throw StoreError.invalid(e.description) }
    }
}
