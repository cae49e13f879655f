// Where the server reports: a message line (start-up, errors) and one access entry per request.
// The caller passes it in; there is no global logger. Entries never hold query strings, cookies or
// other headers, so tokens in URLs or cookies cannot leak into logs.
import Foundation
import Glibc

public struct AccessLogEntry: Sendable, Equatable {
    public var method: String
    /// The path without the query string, as sent (percent-encoded).
    public var path: String
    /// The matched route pattern, nil for 404s and requests refused before routing.
    public var route: String?
    public var status: Int
    /// Body bytes sent (head excluded).
    public var bytes: Int
    /// Seconds from the end of the request head to the last byte of the response.
    public var duration: Double

    /// `GET /api/v1/leases/next 200 312B 0.41ms`
    public var line: String {
        let ms = (duration * 1000 * 100).rounded() / 100
        return "\(method) \(path) \(status) \(bytes)B \(ms)ms"
    }
}

public struct HTTPLogger: Sendable {
    public var message: @Sendable (String) -> Void
    public var access: @Sendable (AccessLogEntry) -> Void
    /// Writes out whatever the logger holds back; the server calls it once its loops have stopped.
    public var flush: @Sendable () -> Void

    public init(message: @escaping @Sendable (String) -> Void,
                access: @escaping @Sendable (AccessLogEntry) -> Void,
                flush: @escaping @Sendable () -> Void = {}) {
        self.message = message
        self.access = access
        self.flush = flush
    }

    /// Messages and access lines both written as lines through `write`.
    public static func lines(_ write: @escaping @Sendable (String) -> Void) -> HTTPLogger {
        HTTPLogger(message: write, access: { write($0.line) })
    }

    /// Access lines gathered in `buffer` and written in batches (one write(2) per batch instead of per
    /// request); a message first writes the access lines before it, then itself, at once.
    public static func buffered(_ buffer: LogBatcher) -> HTTPLogger {
        HTTPLogger(message: { buffer.append($0); buffer.flush() },
                   access: { buffer.append($0.line) },
                   flush: { buffer.flush() })
    }

    /// Standard output through a new LogBatcher (access lines reach it within 0.1 s, messages at once):
    /// take it once per process, as two buffers on one descriptor could reorder lines.
    public static var standardOutput: HTTPLogger { buffered(LogBatcher(fd: STDOUT_FILENO)) }

    public static var discard: HTTPLogger { HTTPLogger(message: { _ in }, access: { _ in }) }
}
