// Everything the server can be told: where to listen, how many connections, how long to wait for each
// part of a request, parser limits and the headers every response carries. Passed to Server explicitly.

public struct ServerConfig: Sendable, Codable, Equatable {
    /// Address to bind: an IPv4 or IPv6 literal or a name. Loopback by default so a fresh install is
    /// not reachable from the network; "::" listens on every interface, IPv4 and IPv6.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 asks the kernel for a free one (tests), read back from `Server.port`.
    public var port: Int = 8080
    /// Open connections served at once (idle keep-alive ones count). Beyond it new connections get 503
    /// with Retry-After; the soft file-descriptor limit is raised to fit when the hard limit allows.
    public var maxConnections: Int = 4096
    /// Open connections from one client address at once. A single address holding every slot (4,096
    /// sockets that never send a byte) would lock everyone else out; past this cap its new connections
    /// get 503. High enough for a team behind one NAT address (a browser keeps about 6 per user).
    public var maxConnectionsPerAddress: Int = 1024
    /// Seconds a client is told to wait in Retry-After when the server is full.
    public var retryAfterSeconds: Int = 5
    /// Seconds from a request's first byte to the end of its head; slower gives 408 (slowloris). A new
    /// connection must send its first request within this time too, or it is closed.
    public var headerTimeout: Double = 10
    /// Seconds the body may stall between reads; longer gives 408. Large uploads keep going as long as
    /// bytes flow.
    public var bodyTimeout: Double = 30
    /// Seconds an idle keep-alive connection stays open between requests (after its first request).
    public var idleTimeout: Double = 60
    /// Seconds a response may stall because the client does not read; then the connection is dropped.
    public var writeTimeout: Double = 30
    /// Seconds shutdown waits for in-flight requests before closing what is left.
    public var shutdownTimeout: Double = 10
    /// Request line and header limits (414, 431).
    public var limits = ParserLimits()
    /// Event-loop threads; each owns its connections. Handlers run on Swift's concurrency pool.
    public var eventLoops: Int = 1
    /// Run handlers on the connection's event-loop thread instead of Swift's shared pool. Saves two
    /// thread hops per request (lower latency on few cores), but a handler that blocks (long SQLite
    /// work, heavy CPU) then stalls every connection of that loop. Off by default.
    public var runHandlersOnEventLoop: Bool = false
    /// Where bodies of `streamBodyToFile` routes are written; nil for the system temporary directory.
    public var temporaryDirectory: String? = nil
    /// Added to every response that does not set the header itself.
    public var securityHeaders: [String: String] = ServerConfig.defaultSecurityHeaders

    public static let defaultSecurityHeaders: [String: String] = [
        "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    ]

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}
