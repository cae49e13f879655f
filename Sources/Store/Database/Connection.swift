// One SQLite connection: opening with Hilo's pragmas, a cache of prepared statements, and
// transactions. A Connection is used by one thread at a time: `Database` hands it out under a lock
// and only for the length of a closure, so it is deliberately not Sendable.
import CSQLite

public final class Connection {
    let handle: OpaquePointer
    private var cache: [String: Statement] = [:]

    /// SQLite's allocation statistics, off before the first connection opens: Debian's SQLite is built
    /// without lookaside memory, so every statement step allocates, and with the statistics on each
    /// allocation and free also takes one process-wide mutex (the writer thread and every reader
    /// contend on it). Hilo never reads the statistics (sqlite3_memory_used). Evaluated once, by the
    /// first `Connection.init`; if something opened SQLite earlier it is refused and stays on (false).
    static let memoryStatisticsOff: Bool = hilo_sqlite3_disable_memstatus() == SQLITE_OK

    /// Opens `path` (creating it if missing), in multi-thread mode: the caller serialises use.
    init(path: String, readOnly: Bool, busyTimeoutMs: Int32) throws {
        _ = Self.memoryStatisticsOff
        var db: OpaquePointer?
        // Readers open read-write (WAL readers need the -shm file) but with query_only set.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw StoreError.sqlite(code: rc, message: "cannot open \(path): \(message)", sql: "")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMs)
        try execute("PRAGMA foreign_keys = ON")
        // FULL: a commit is fsynced before it returns, so an acknowledged label survives power loss.
        try execute("PRAGMA synchronous = FULL")
        if readOnly { try execute("PRAGMA query_only = 1") }
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements without parameters (schema, pragmas, BEGIN/COMMIT).
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            sqlite3_free(error)
            throw StoreError.from(code: rc, db: handle, sql: sql)
        }
    }

    /// The prepared statement for `sql`, compiled once per connection and reused.
    public func prepare(_ sql: String) throws -> Statement {
        if let cached = cache[sql] {
            sqlite3_reset(cached.handle)
            return cached
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw StoreError.from(code: rc, db: handle, sql: sql) }
        let statement = Statement(handle: stmt, sql: sql, connection: self)
        cache[sql] = statement
        return statement
    }

    /// Runs a statement with bound parameters; returns nothing.
    public func run(_ sql: String, _ values: [SQLValue] = []) throws {
        try prepare(sql).run(values)
    }

    /// The rowid of the last INSERT on this connection.
    public var lastInsertID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The first column of the first row as an integer (COUNT(*), PRAGMA user_version …).
    public func scalar(_ sql: String, _ values: [SQLValue] = []) throws -> Int64 {
        try prepare(sql).first(values) { $0.int(0) } ?? 0
    }

    /// True while a transaction is open on this connection.
    public var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a savepoint of the open transaction, so it can fail alone: released when it
    /// returns, rolled back when it throws. The body's outcome is returned (its error as a failure);
    /// a savepoint command that fails throws. The commands are prepared once per connection
    /// (sqlite3_exec would compile them for every call).
    public func savepoint<T>(_ body: (Connection) throws -> T) throws -> Result<T, any Error> {
        precondition(inTransaction, "a savepoint runs inside a transaction (Database.write)")
        try prepare("SAVEPOINT job").run()
        let value: T
        do {
            value = try body(self)
        } catch {
            try prepare("ROLLBACK TO job").run()
            try prepare("RELEASE job").run()
            return .failure(error)
        }
        try prepare("RELEASE job").run()
        return .success(value)
    }

    /// Runs `body` in a transaction (IMMEDIATE takes the write lock up front, so a busy database is
    /// reported at BEGIN, not halfway through). Rolls back when `body` throws.
    func transaction<T>(immediate: Bool, _ body: (Connection) throws -> T) throws -> T {
        precondition(!inTransaction, "nested transactions are not supported: pass the Connection down")
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            if inTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }
}
