// Files and folders that appear all at once or not at all: written under a temporary name in
// the destination's own folder (same file system), flushed with fsync, then renamed into place.
// A crash or an error leaves either the old state or the new one, never a half-written file;
// the retraining loop relies on this for model versions.
import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

public enum AtomicFile {
    /// A file descriptor open for writing, with a loop that writes everything.
    public struct Output {
        let fd: Int32
        let path: String
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw EngineError.badFile(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    /// A unique hidden sibling name for `url`, e.g. `.model.safetensors.tmp-1234-5678`.
    static func temporarySibling(of url: URL) -> URL {
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Writes a file through `body`, then renames it over `url` (replacing an existing file).
    public static func write(to url: URL, _ body: (Output) throws -> Void) throws {
        let tmp = temporarySibling(of: url)
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EngineError.badFile(path: url.path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        var ok = false
        defer {
            if !ok { close(fd); unlink(tmp.path) }
        }
        try body(Output(fd: fd, path: url.path))
        guard fsync(fd) == 0 else {
            throw EngineError.badFile(path: url.path, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
        close(fd)
        guard rename(tmp.path, url.path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp.path); ok = true
            throw EngineError.badFile(path: url.path, reason: "cannot rename into place: \(why)")
        }
        ok = true
        syncDirectory(url.deletingLastPathComponent())
    }

    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { out in try data.withUnsafeBytes { try out.write($0) } }
    }

    /// Builds a folder through `body` (given an empty temporary folder next to `url`), then renames
    /// it to `url`. An existing `url` is an error unless `replace` is true, in which case the old
    /// folder is swapped out (still never a half-written one in its place) and deleted.
    public static func writeFolder(at url: URL, replace: Bool = false, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: url.path)
        if exists && !replace {
            throw EngineError.badFile(path: url.path, reason: "already exists; Hilo replaces a model folder only when asked to (--replace)")
        }
        let tmp = temporarySibling(of: url)
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        } catch {
            throw EngineError.badFile(path: url.path, reason: "cannot create folder: \(error.localizedDescription)")
        }
        var ok = false
        defer { if !ok { try? fm.removeItem(at: tmp) } }
        try body(tmp)
        syncDirectory(tmp)
        if exists {
            // Move the old folder aside, the new one in, then delete the old one.
            let old = temporarySibling(of: url)
            guard rename(url.path, old.path) == 0 else {
                throw EngineError.badFile(path: url.path, reason: "cannot move the old folder aside: \(String(cString: strerror(errno)))")
            }
            guard rename(tmp.path, url.path) == 0 else {
                let why = String(cString: strerror(errno))
                _ = rename(old.path, url.path)
                throw EngineError.badFile(path: url.path, reason: "cannot rename into place: \(why)")
            }
            try? fm.removeItem(at: old)
        } else {
            guard rename(tmp.path, url.path) == 0 else {
                throw EngineError.badFile(path: url.path, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        }
        ok = true
        syncDirectory(url.deletingLastPathComponent())
    }

    /// fsync on a folder so the rename itself is durable (best effort).
    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
