// The errors Store throws. Bad input (a malformed import line, an unknown id) is a thrown error the
// caller can show; SQLite failures keep SQLite's code and message.
import CSQLite

public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// SQLite returned an error: its result code, message and the SQL that failed.
    case sqlite(code: Int32, message: String, sql: String)
    /// The database is locked by another process for longer than the busy timeout.
    case busy(message: String)
    /// The disk (or the database's size limit) is full; the transaction was rolled back.
    case full(message: String)
    /// Writing the database file failed (a full disk, a file-size limit, a failing device).
    case io(message: String)
    /// A value the caller passed breaks a rule (unknown id, wrong kind, score out of range …).
    case invalid(String)
    /// Something the caller asked for does not exist.
    case notFound(String)
    /// The caller asked for something that clashes with what is stored (a name already taken).
    case conflict(String)
    /// The database file has a schema version newer than this build knows.
    case newerSchema(found: Int, known: Int)

    public var description: String {
        switch self {
        case let .sqlite(code, message, sql):
            let shortSQL = sql.count > 120 ? String(sql.prefix(120)) + "…" : sql
            return "SQLite error \(code): \(message)" + (shortSQL.isEmpty ? "" : " (in: \(shortSQL))")
        case let .busy(message): return "the database is locked by another process (\(message)); try again"
        case let .full(message): return "the disk or the database size limit is full (\(message)); the transaction was rolled back"
        case let .io(message): return "cannot write the database (\(message)): is the disk full or a file-size limit reached? The transaction was rolled back"
        case let .invalid(message): return message
        case let .notFound(message): return message
        case let .conflict(message): return message
        case let .newerSchema(found, known):
            return "the database has schema version \(found) but this hilo knows only up to \(known): upgrade hilo"
        }
    }

    /// Maps a SQLite result code to the matching case.
    static func from(code: Int32, db: OpaquePointer?, sql: String) -> StoreError {
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        switch code & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy(message: message)
        case SQLITE_FULL: return .full(message: message)
        case SQLITE_IOERR: return .io(message: message)
        default: return .sqlite(code: code, message: message, sql: sql)
        }
    }
}
