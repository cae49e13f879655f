// The Hilo database: one SQLite file in WAL mode with one serialized writer connection and a small
// pool of reader connections, so reads (the UI, exports, statistics) run while a label is written.
//
//     let db = try Database(path: "hilo.db")
//     let id = try db.write { try AnnotatorRepository($0).create(name: "ada", role: .admin, token: t, now: now).id }
//     let list = try db.read { try AnnotatorRepository($0).all() }
//
// Every `write` is one IMMEDIATE transaction (all or nothing); every `read` sees one snapshot.
// Closures must not call back into the same Database (pass the Connection down instead).
//
// Repositories wrap the closure's Connection and return value types, so callers never write SQL:
// AnnotatorRepository, SessionRepository (tokens by SHA-256), PromptRepository (prompts,
// responses, scores), JudgmentRepository (submit, undo, pairs), LeaseRepository (leases and the
// task queue), CandidateRepository (the candidate generator's stock), ModelRepository,
// TrainingRunRepository, EvalRepository, SettingsRepository (+ idempotent replies), StatsRepository
// (agreement and counts). What counts as a live label is defined once, in LiveLabel. Importer and Exporter stream files in and out;
// Exporter.forEachPair/forEachKTO/forEachDemonstration hand the same datasets to the trainers.
import CSQLite
import Foundation

public final class Database: Sendable {
    /// Opening options.
    public struct Options: Sendable {
        /// How long a statement waits for another process's lock before failing with `.busy`.
        public var busyTimeoutMs: Int32 = 5_000
        /// Reader connections kept open for concurrent reads (more are opened on demand and closed).
        public var maxIdleReaders: Int = 4
        /// Page cache of the writer connection in KiB. Large enough that a batch's dirty pages stay in
        /// memory instead of spilling to the WAL mid-transaction; memory stays flat in the data size.
        public var writerCacheKiB = 32 * 1024
        /// A cap on the database size in pages (tests use it to simulate a full disk); nil = none.
        public var maxPageCount: Int? = nil
        /// New WAL pages after which a commit wakes the checkpoint thread (Checkpointer.swift), which
        /// copies them into the database file on its own connection while writes go on; at 8 times
        /// this the writer copies the rest itself so the WAL starts over. nil: SQLite's automatic
        /// checkpoint inside the commit, which stalls every queued write for a copy and an fsync.
        public var checkpointPages: Int? = 1000
        /// The migrations to bring the file to; tests pass a prefix to write a file as an older
        /// version of Hilo did. Everything else keeps the default, the latest.
        public var migrations: [String] = Migrations.steps
        public init() {}
    }

    /// The database file.
    public let path: String
    private let options: Options
    private let writer: Locked<Connection>
    private let readers: Locked<[Connection]>
    private let checkpointer: Checkpointer?

    /// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        let connection = try Connection(path: path, readOnly: false, busyTimeoutMs: options.busyTimeoutMs)
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA cache_size = -\(options.writerCacheKiB)")
        // Savepoint and statement journals of the writer stay in memory (they hold only the pages one
        // statement or imported row touched). Readers keep temp files: their sorts can be large.
        try connection.execute("PRAGMA temp_store = MEMORY")
        if let pages = options.maxPageCount { try connection.execute("PRAGMA max_page_count = \(pages)") }
        try Migrations.migrate(connection, steps: options.migrations)
        if let pages = options.checkpointPages {
            let checkpointer = try Checkpointer(path: path, busyTimeoutMs: options.busyTimeoutMs, thresholdPages: pages)
            checkpointer.install(on: connection)
            self.checkpointer = checkpointer
        } else {
            checkpointer = nil
        }
        writer = Locked(connection)
        readers = Locked([])
    }

    /// Closes the other connections first, so the writer closes last: the last connection to close
    /// copies the WAL into the file and removes it, and a read-only or busy one could not.
    deinit {
        if let checkpointer {
            writer.withLock { checkpointer.uninstall(from: $0) }
            checkpointer.stop()
        }
        readers.withLock { $0.removeAll() }
    }

    /// Checkpoint rounds the background thread has run (tests).
    var checkpointRounds: Int { checkpointer?.completedRounds ?? 0 }

    /// Runs `body` in one write transaction on the single writer connection. Commits when `body`
    /// returns, rolls back when it throws. Writers from all threads queue here.
    public func write<T>(_ body: (Connection) throws -> T) throws -> T {
        try writer.withLock { connection in
            try connection.transaction(immediate: true, body)
        }
    }

    /// Runs `body` on the writer connection outside any transaction, for work that manages its own
    /// (migrations).
    func withWriter<T>(_ body: (Connection) throws -> T) throws -> T {
        try writer.withLock { try body($0) }
    }

    /// Runs `body` on a reader connection inside one read transaction (a consistent snapshot).
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try readers.withLock { pool in pool.popLast() }
            ?? Connection(path: path, readOnly: true, busyTimeoutMs: options.busyTimeoutMs)
        defer {
            readers.withLock { pool in
                if pool.count < options.maxIdleReaders { pool.append(connection) }
            }
        }
        return try connection.transaction(immediate: false, body)
    }

    /// The schema version of the file (PRAGMA user_version).
    public func schemaVersion() throws -> Int {
        try Int(read { try $0.scalar("PRAGMA user_version") })
    }
}

/// A value guarded by a lock: the only shared mutable state in Store (the writer connection and the
/// reader pool). Foundation's NSLock keeps this portable to macOS 14, where Synchronization.Mutex
/// is not available.
/// `@unchecked Sendable` is honest here: every access to `value` goes through `lock`.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
