// Files and folders that appear all at once or not at all: written under a temporary name in
// the destination's own folder (same file system), flushed with fsync, then renamed into place.
// A crash or an error leaves either the old state or the new one, never a half-written file.
// The engine writes model folders and checkpoints this way (the retraining loop relies on it),
// Store its exports, and the command line its output files.
import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// A write that failed: the destination and what went wrong. Each target maps it to its own error
/// type (the engine's `badFile`, Store's `invalid`) with the same "path: reason" text.
public struct AtomicFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path; self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

public enum AtomicFile {
    /// A file open for writing under a temporary sibling name until `commit()` renames it over the
    /// destination; `discard()` (or dropping it uncommitted) removes it. `standardOutput()` passes
    /// bytes straight through and has nothing to rename.
    public final class Output {
        /// The destination ("stdout" for standard output).
        public let path: String
        private let fd: Int32
        /// The temporary sibling; nil for standard output.
        private let temporary: String?
        private var finished = false

        /// Creates a hidden temporary file next to `url` (an existing `url` stays until `commit()`).
        public init(creating url: URL) throws {
            let tmp = AtomicFile.temporarySibling(of: url)
            let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw AtomicFileError(path: url.path, reason: "cannot create: \(Self.lastError)") }
            path = url.path; self.fd = fd; temporary = tmp.path
        }

        private init(standardOutput: Void) {
            path = "stdout"; fd = 1; temporary = nil
        }

        /// Standard output, through the same write loop (commit and discard do nothing).
        public static func standardOutput() -> Output { Output(standardOutput: ()) }

        deinit { discard() }

        /// Writes all of `bytes` (retrying short writes and EINTR).
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AtomicFileError(path: path, reason: "write failed: \(Self.lastError)")
                }
                done += n
            }
        }

        public func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }

        /// fsyncs the file and renames it over the destination (replacing an existing file).
        public func commit() throws {
            guard let temporary, !finished else { return }
            finished = true
            guard fsync(fd) == 0 else {
                let why = Self.lastError
                close(fd); unlink(temporary)
                throw AtomicFileError(path: path, reason: "fsync failed: \(why)")
            }
            close(fd)
            guard rename(temporary, path) == 0 else {
                let why = Self.lastError
                unlink(temporary)
                throw AtomicFileError(path: path, reason: "cannot rename into place: \(why)")
            }
            AtomicFile.syncDirectory(URL(fileURLWithPath: path).deletingLastPathComponent())
        }

        /// Drops an uncommitted file: the temporary is removed and the destination left as it was.
        public func discard() {
            guard let temporary, !finished else { return }
            finished = true
            close(fd); unlink(temporary)
        }

        static var lastError: String { String(cString: strerror(errno)) }
    }

    /// A unique hidden sibling name for `url`, e.g. `.model.safetensors.tmp-1234-5678`.
    static func temporarySibling(of url: URL) -> URL {
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Writes a file through `body`, then renames it over `url` (replacing an existing file).
    public static func write(to url: URL, _ body: (Output) throws -> Void) throws {
        let out = try Output(creating: url)
        do {
            try body(out)
            try out.commit()
        } catch {
            out.discard()
            throw error
        }
    }

    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { try $0.write(data) }
    }

    /// Builds a folder through `body` (given an empty temporary folder next to `url`), then renames
    /// it to `url`. An existing `url` is an error unless `replace` is true, in which case the old
    /// folder is swapped out (still never a half-written one in its place) and deleted.
    public static func writeFolder(at url: URL, replace: Bool = false, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: url.path)
        if exists && !replace {
            throw AtomicFileError(path: url.path, reason: "already exists")
        }
        let tmp = temporarySibling(of: url)
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        } catch {
            throw AtomicFileError(path: url.path, reason: "cannot create folder: \(error.localizedDescription)")
        }
        var ok = false
        defer { if !ok { try? fm.removeItem(at: tmp) } }
        try body(tmp)
        syncDirectory(tmp)
        if exists {
            // Move the old folder aside, the new one in, then delete the old one.
            let old = temporarySibling(of: url)
            guard rename(url.path, old.path) == 0 else {
                throw AtomicFileError(path: url.path, reason: "cannot move the old folder aside: \(Output.lastError)")
            }
            guard rename(tmp.path, url.path) == 0 else {
                let why = Output.lastError
                _ = rename(old.path, url.path)
                throw AtomicFileError(path: url.path, reason: "cannot rename into place: \(why)")
            }
            try? fm.removeItem(at: old)
        } else {
            guard rename(tmp.path, url.path) == 0 else {
                throw AtomicFileError(path: url.path, reason: "cannot rename into place: \(Output.lastError)")
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
