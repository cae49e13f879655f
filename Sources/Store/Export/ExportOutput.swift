// Where an export goes: standard output, or a file written under a temporary name in the same
// folder and renamed into place only when complete, so a failed export never leaves half a file.
import Foundation

public final class ExportOutput {
    public let path: String?
    private let fd: Int32
    private let tempPath: String?
    private var buffer: [UInt8] = []
    private var closed = false
    /// Bytes written so far.
    public private(set) var byteCount = 0

    /// Standard output.
    public init() {
        path = nil; fd = 1; tempPath = nil
        buffer.reserveCapacity(1 << 18)
    }

    /// A file at `path`, created under a temporary name until `commit()`.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.invalid("\(path): cannot create: \(String(cString: strerror(errno)))") }
        tempPath = temp
        buffer.reserveCapacity(1 << 18)
    }

    deinit { if !closed { abort() } }

    var name: String { path ?? "stdout" }

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
        var done = 0
        try buffer.withUnsafeBytes { buf in
            while done < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw StoreError.invalid("\(name): write failed after \(byteCount + done) bytes: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
        byteCount += done
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, fsyncs and renames the file into place (or just flushes standard output).
    public func commit() throws {
        try flush()
        guard let tempPath, let path else { closed = true; return }
        if fsync(fd) != 0 { throw StoreError.invalid("\(path): fsync failed: \(String(cString: strerror(errno)))") }
        close(fd)
        closed = true
        if rename(tempPath, path) != 0 {
            unlink(tempPath)
            throw StoreError.invalid("\(path): cannot rename into place: \(String(cString: strerror(errno)))")
        }
    }

    /// Drops a file export: the temporary file is removed and `path` is left as it was.
    public func abort() {
        guard !closed else { return }
        closed = true
        if let tempPath { close(fd); unlink(tempPath) }
    }
}
