// `hilo serve`: runs the annotation server and the retraining loop. Binds the HTTP server, serves
// GET /healthz and the web UI from Public/, and shuts down gracefully on SIGINT or SIGTERM: new
// connections are refused, in-flight requests finish, then run() returns and the database is closed.
import ArgumentParser
import Dispatch
import Engine
import Foundation
import Glibc
import HTTP
import Hilo
import Store
import Support

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the annotation UI, the JSON API and the retraining loop.")

    @Option(help: "The SQLite database file (created on first start).")
    var db: String = "hilo.db"

    @Option(help: "The address to bind; use :: for IPv6 (and IPv4) on every interface, ::1 for IPv6 loopback.")
    var host: String = "127.0.0.1"

    @Option(help: "The TCP port (0 picks a free one).")
    var port: Int = 8080

    @Option(name: .customLong("public"),
            help: "The directory of the web UI (default: Public/ in the current directory or next to the executable).")
    var publicDirectory: String?

    @Option(help: "Most open connections; beyond it clients get 503 with Retry-After.")
    var maxConnections: Int = 4096

    @Option(help: "Most open connections from one client address; beyond it that address gets 503, others are still served.")
    var maxConnectionsPerAddress: Int = 1024

    // One loop per core by default: on the 2-core machine of Tests/Benchmarks/bench.d/25-api.sh two loops
    // gave about 30% more judgment submissions per second than one, at a lower p99, while other work
    // shared the cores, and as many on a quiet machine (since the access log is batched and a running
    // loop is no longer woken through its eventfd for every handler result).
    @Option(help: "Event-loop threads serving connections, each owning a share of them (default: one per core, at most 64).")
    var eventLoops: Int?

    @Flag(help: "Run request handlers on the event-loop thread (fewer thread hops; a slow handler stalls its loop).")
    var handlersOnEventLoop = false

    @Option(help: "A Hugging Face GPT-2 model folder to serve as the policy: copied into the models directory as the first version (and the reference) on first start; a different folder later becomes a new serving version. Without it, a fresh install serves the embedded starter model and seeds the demo prompts.")
    var policy: String?

    @Flag(help: "Start without the embedded starter model and demo prompts: annotation only (of what you import) until --policy gives a model.")
    var noDemo = false

    @Option(help: "The models directory where version folders live (default: <db>.models beside the database).")
    var models: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxConnectionsPerAddress >= 1 else { throw ValidationError("--max-connections-per-address must be at least 1") }
        if let eventLoops, !(1...64).contains(eventLoops) { throw ValidationError("--event-loops must be between 1 and 64") }
    }

    /// One event loop per core this process may run on, 1...64.
    static var defaultEventLoops: Int { min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 64) }

    func run() async throws {
        let logger = HTTPLogger.standardOutput
        logger.message(BLASInfo.current().logLine)
        let files = try StaticFiles(root: try Self.findPublic(publicDirectory))

        let database = try openDatabase(db)
        let loop = try Self.makeLoop(db: database, dbPath: db, models: models, policy: policy, demo: !noDemo, logger: logger)
        let app = HiloApp(db: database, loop: loop)
        let services = Services(app: app, loop: loop)
        try services.start()
        var router = app.makeRouter() // /healthz, /metrics, /login and /api/v1 (Sources/Hilo)
        router.get("/*path", files.handler)

        var config = ServerConfig(host: host, port: port)
        config.maxConnections = maxConnections
        config.maxConnectionsPerAddress = maxConnectionsPerAddress
        config.eventLoops = eventLoops ?? Self.defaultEventLoops
        config.runHandlersOnEventLoop = handlersOnEventLoop
        let server = Server(config: config, router: router, logger: logger)
        do {
            try server.start()
        } catch {
            throw ValidationError("cannot listen on \(host):\(port): \(error)")
        }
        // Signals are handled before "listening" is printed, so a SIGTERM sent as soon as the
        // server answers (scripts, tests) always shuts down gracefully instead of killing it.
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.message("shutting down: finishing in-flight requests")
                // A running training job is cancelled (and marked so) while the server drains.
                DispatchQueue.global().async { services.stop() }
                server.shutdown()
            }
            source.resume()
            return source
        }
        logger.message("listening on \(server.url) (static files from \(files.root))")
        try app.recordListening(url: server.url)
        if let link = try app.bootstrap(baseURL: server.url) {
            logger.message("first start: created an admin; sign in once with \(link)")
        }
        await server.waitUntilStopped()
        signals.forEach { $0.cancel() }
        services.stop()
        app.stop()
        logger.message("stopped")
    }

    /// The training loop: recovery after a crash, then the policy registered (--policy, or the embedded
    /// starter with the demo prompts on a fresh install).
    static func makeLoop(db: Database, dbPath: String, models: String?, policy: String?, demo: Bool, logger: HTTPLogger) throws -> Loop {
        let dir = models.map { URL(fileURLWithPath: $0) } ?? ModelStore.defaultDirectory(forDatabase: dbPath)
        let loop = try Services.makeLoop(db: db, modelsDirectory: dir, log: logger.message)
        try loop.recover()
        if let policy, !FileManager.default.fileExists(atPath: policy) { throw ValidationError("--policy \(policy): no such folder") }
        if policy == nil && !demo {
            if let serving = try loop.servingPolicy() {
                logger.message("models: serving \(serving.name) from \(dir.path)")
            } else {
                logger.message("models: no policy (--no-demo): serving annotation only; give --policy DIR to retrain and generate")
            }
            return loop
        }
        let start: Services.PolicyStart
        do {
            start = try Services.registerPolicy(loop: loop, folder: policy.map { URL(fileURLWithPath: $0) }, now: currentTimeMs())
        } catch let e as EngineError {
            throw ValidationError("--policy \(policy ?? "(the starter)"): \(e)")
        } catch let e as StarterModelError {
            throw ValidationError("\(e)")
        }
        switch start {
        case let .registered(name, starter, seeded):
            let what = starter ? "the embedded starter model" : policy!
            logger.message("models: registered \(what) as \(name) (serving) and as the reference, in \(dir.path)")
            if seeded > 0 { logger.message("demo: seeded \(seeded) demo prompts (arithmetic and units); candidates are being generated") }
        case .replaced(let name): logger.message("models: --policy \(policy!) differs from every registered version: registered it as \(name), now serving (and the new reference)")
        case .unchanged(let name): logger.message("models: --policy \(policy!) is \(name), already registered")
        case .serving(let name): logger.message("models: serving \(name) from \(dir.path)")
        }
        return loop
    }

    /// --public if given, else ./Public, else Public/ in the executable's directory or one of its parents
    /// (so `.build/release/hilo serve` finds the checkout's Public/ from anywhere).
    static func findPublic(_ given: String?) throws -> URL {
        let fm = FileManager.default
        if let given {
            guard fm.fileExists(atPath: given) else { throw ValidationError("--public \(given): no such directory") }
            return URL(fileURLWithPath: given)
        }
        var candidates = [URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("Public")]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("Public"))
            dir = dir.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { fm.fileExists(atPath: $0.appendingPathComponent("index.html").path) }) else {
            throw ValidationError("no Public/ directory with index.html found; pass --public DIR")
        }
        return found
    }
}
