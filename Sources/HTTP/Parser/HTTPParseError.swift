// What can be wrong with the bytes of a request, and the limits the parser enforces. Each error maps
// to the status the server answers with before it closes the connection.

/// Size limits for the request head. Defaults suit browsers and API clients with room to spare.
public struct ParserLimits: Sendable, Codable, Equatable {
    /// Longest request line (method, target, version); longer gives 414. Browsers cap URLs near 8 KiB.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Total bytes of all header lines; more gives 431. Cookies and a few headers fit well under 16 KiB.
    public var maxHeaderBytes: Int = 16 * 1024
    /// Number of header fields; more gives 431. Guards against many tiny headers.
    public var maxHeaderCount: Int = 100

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}

public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status to answer with: 400, 413, 414, 417, 431, 501 or 505.
    public var status: HTTPStatus
    /// A short reason, safe to show the client (it never echoes request bytes).
    public var message: String

    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    static func bad(_ message: String) -> HTTPParseError { HTTPParseError(.badRequest, message) }
}
