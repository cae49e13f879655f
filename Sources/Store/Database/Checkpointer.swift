// WAL checkpoints off the writer's path. SQLite's automatic checkpoint runs inside the COMMIT that
// pushes the WAL past 1000 pages: that commit copies the pages into the database file and fsyncs it
// while holding the write lock, so every write queued behind it waits several milliseconds (the
// tail latency of judgment submission). Instead, the writer connection's WAL hook wakes this thread,
// which checkpoints on its own connection in PASSIVE mode (it never blocks the writer or readers)
// while the writer goes on committing. Durability is unchanged: every commit still fsyncs the WAL
// (synchronous=FULL); the checkpoint fsyncs the WAL and the database file before it counts a page as
// copied, exactly as the automatic one does.
//
// A PASSIVE checkpoint copies the frames that existed when it started; frames appended meanwhile wait
// for a later round, and SQLite restarts the WAL from its beginning only once a writer finds it fully
// copied. So a round runs per `thresholdPages` new frames (not after every commit once the WAL is
// long: under steady load that copied the hot pages and fsynced the database file ~60 times a second),
// and when the WAL reaches `limitPages` without a restart (a writer that never pauses), the writer
// copies the remainder itself, as SQLite would: one short stall per `limitPages` frames, where
// SQLite's own checkpoint stalls the writer once per 1000 frames for the whole copy.
import CSQLite
import Foundation
import Glibc
import Support

final class Checkpointer: @unchecked Sendable {
    // `@unchecked Sendable`: `pending`, `stopping`, `ended`, `running` and `rounds` are touched only while holding
    // `condition`; `connection` is used only on the checkpointer's thread, which closes it as it ends.
    private let condition = NSCondition()
    private var pending = false
    private var stopping = false
    private var ended = false
    private var rounds = 0
    /// A checkpoint runs (this thread's round or the writer's catch-up): they take turns.
    private var running = false
    /// The checkpointer's own connection; nil once the thread ended (closed by then, so the database's
    /// writer can be the last connection to close and remove the WAL).
    private var connection: Connection?
    /// New WAL pages (since the last round was asked for) after a commit that wake the thread.
    let thresholdPages: Int32
    /// WAL pages after a commit at which the committing writer checkpoints itself.
    let limitPages: Int32
    /// The WAL's length in pages when the hook last asked for a round. Touched only by the hook, which
    /// runs on the thread holding the writer connection (one at a time, under Database's lock).
    private var requestedAt: Int32 = 0

    /// Opens a second connection to `path` and starts the thread. The writer must install `hook` with
    /// `install(on:)`; until then nothing is checkpointed.
    init(path: String, busyTimeoutMs: Int32, thresholdPages: Int) throws {
        precondition(thresholdPages >= 1, "the checkpoint threshold must be at least one page")
        connection = try Connection(path: path, readOnly: false, busyTimeoutMs: busyTimeoutMs)
        self.thresholdPages = Int32(clamping: thresholdPages)
        self.limitPages = Int32(clamping: thresholdPages * 8)
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// Replaces SQLite's automatic checkpoint on `writer` (its WAL hook) with a wake-up of this thread.
    /// The hook refers to `self` unretained: call `uninstall(from:)` before this object goes away.
    func install(on writer: Connection) {
        sqlite3_wal_hook(writer.handle, { context, db, _, pages in
            let checkpointer = Unmanaged<Checkpointer>.fromOpaque(context!).takeUnretainedValue()
            if pages < checkpointer.requestedAt { checkpointer.requestedAt = 0 } // the WAL started over
            if pages >= checkpointer.limitPages {
                checkpointer.catchUp(db)
                checkpointer.requestedAt = 0 // the WAL starts over at the next transaction
            } else if pages - checkpointer.requestedAt >= checkpointer.thresholdPages {
                checkpointer.request()
                checkpointer.requestedAt = pages
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Removes the hook from `writer` (no automatic checkpoint afterwards; closing the last connection
    /// still checkpoints).
    func uninstall(from writer: Connection) {
        sqlite3_wal_hook(writer.handle, nil, nil)
    }

    /// The background rounds fell behind (each began before the writer's latest frames): the writer
    /// waits for the running round, then copies the rest itself, as SQLite's automatic checkpoint
    /// would, so its next transaction finds the WAL fully copied and starts it over.
    private func catchUp(_ writer: OpaquePointer?) {
        condition.lock()
        while running { condition.wait() }
        running = true
        condition.unlock()
        sqlite3_wal_checkpoint_v2(writer, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Asks for a checkpoint round now (or right after the one running).
    func request() {
        condition.lock()
        if !pending { pending = true; condition.signal() }
        condition.unlock()
    }

    /// Lets the running round finish and returns once the thread has ended and closed its connection.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !ended { condition.wait() }
        condition.unlock()
    }

    private func run() {
        ThreadName.setCurrent("hilo-checkpoint")   // the kernel's name too (ps -L, perf)
        while true {
            condition.lock()
            while !pending && !stopping { condition.wait() }
            if stopping {
                connection = nil
                ended = true; condition.broadcast(); condition.unlock(); return
            }
            pending = false
            while running { condition.wait() }
            running = true
            condition.unlock()
            // SQLITE_BUSY (another process checkpoints) is fine: that one copies the pages.
            sqlite3_wal_checkpoint_v2(connection?.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            condition.lock()
            running = false
            rounds += 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Rounds completed (tests).
    var completedRounds: Int { condition.lock(); defer { condition.unlock() }; return rounds }
}
