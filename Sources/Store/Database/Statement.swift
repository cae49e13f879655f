// A prepared SQLite statement: bind parameters by position (1-based), step, read columns.
// Statements are cached per connection (see Connection.prepare) and reset before each use.
import CSQLite

/// A value that can be bound to a statement parameter.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// SQLITE_TRANSIENT: SQLite copies the bytes before bind returns.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

public final class Statement {
    let handle: OpaquePointer
    let sql: String
    unowned let connection: Connection

    init(handle: OpaquePointer, sql: String, connection: Connection) {
        self.handle = handle
        self.sql = sql
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and binds `values` to parameters 1…n.
    @discardableResult
    public func bind(_ values: [SQLValue]) throws -> Statement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (i, v) in values.enumerated() { try bind(v, at: Int32(i + 1)) }
        return self
    }

    public func bind(_ value: SQLValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case let .int(v): rc = sqlite3_bind_int64(handle, index, v)
        case let .double(v): rc = sqlite3_bind_double(handle, index, v)
        case let .text(s):
            var s = s
            if s.isEmpty {
                rc = sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
            } else {
                rc = s.withUTF8 { buf in
                    buf.withMemoryRebound(to: CChar.self) { chars in
                        sqlite3_bind_text(handle, index, chars.baseAddress!, Int32(chars.count), sqliteTransient)
                    }
                }
            }
        case let .blob(b):
            if b.isEmpty {
                rc = sqlite3_bind_zeroblob(handle, index, 0) // an empty blob, not NULL
            } else {
                rc = b.withUnsafeBytes { buf in sqlite3_bind_blob(handle, index, buf.baseAddress, Int32(buf.count), sqliteTransient) }
            }
        }
        if rc != SQLITE_OK { throw StoreError.from(code: rc, db: connection.handle, sql: sql) }
    }

    /// Advances to the next row: true if there is one, false when done.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = StoreError.from(code: rc, db: connection.handle, sql: sql)
        sqlite3_reset(handle)
        throw error
    }

    /// Runs a statement that returns no rows.
    public func run(_ values: [SQLValue] = []) throws {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Runs and returns every row mapped by `row`.
    public func all<T>(_ values: [SQLValue] = [], _ row: (Statement) throws -> T) throws -> [T] {
        try bind(values)
        var out: [T] = []
        while try step() { out.append(try row(self)) }
        sqlite3_reset(handle)
        return out
    }

    /// Runs and returns the first row mapped by `row`, or nil.
    public func first<T>(_ values: [SQLValue] = [], _ row: (Statement) throws -> T) throws -> T? {
        try bind(values)
        defer { sqlite3_reset(handle) }
        return try step() ? try row(self) : nil
    }

    /// Calls `row` for each row without collecting them (streaming, constant memory).
    public func forEach(_ values: [SQLValue] = [], _ row: (Statement) throws -> Void) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        while try step() { try row(self) }
    }

    // MARK: columns (0-based)

    public func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    public func int(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    public func optionalInt(_ i: Int32) -> Int64? { isNull(i) ? nil : int(i) }
    public func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
    public func string(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(handle, i) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    public func optionalString(_ i: Int32) -> String? { isNull(i) ? nil : string(i) }
    public func blob(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, i))
        guard n > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
    /// Replaces `out` with the column's UTF-8 bytes (reusing its storage).
    public func copyUTF8(_ i: Int32, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        guard let p = sqlite3_column_text(handle, i) else { return }
        out.append(contentsOf: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i))))
    }
    /// The column's UTF-8 bytes without copying; valid until the next step.
    public func withUTF8<T>(_ i: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        let p = sqlite3_column_text(handle, i)
        let n = Int(sqlite3_column_bytes(handle, i))
        return try body(UnsafeBufferPointer(start: p, count: p == nil ? 0 : n))
    }
}
