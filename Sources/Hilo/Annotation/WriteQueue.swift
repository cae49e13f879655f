// Group commit: every write the API makes goes through one dedicated thread that takes all pending
// writes, runs each in its own savepoint inside one IMMEDIATE transaction, and commits once. With
// synchronous=FULL a commit costs an fsync; under load many judgments share it, so throughput rises
// and latency stays flat, while each caller still learns its own outcome: a write that throws rolls
// back alone, and nobody is answered before the commit that holds their write is durable.
import Foundation
import Store
import Support

public final class WriteQueue: Sendable {
    typealias Body = @Sendable (Connection) throws -> any Sendable
    typealias Done = @Sendable (Result<any Sendable, any Error>) -> Void

    /// The pending jobs and the stop flag, shared with the writer thread.
    /// `@unchecked Sendable`: every field is read and written only while holding `condition`.
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [(body: Body, done: Done)] = []
        var stopped = false
    }

    private let state = State()

    /// Starts the writer thread for `db`; it ends when the queue is deallocated or `stop()` is called.
    /// `niceness`: the writer thread's nice value (AppConfig.writerNiceness; nil: the process's own).
    public init(db: Database, maxBatch: Int = 256, niceness: Int32? = nil) {
        precondition(maxBatch >= 1, "maxBatch must be at least 1")
        let state = self.state
        let thread = Thread {
            ThreadName.setCurrent("hilo-writer")   // set inside: on Linux a name set before start() is lost
            if let niceness { ThreadPriority.setCurrentThread(niceness: niceness) } // refused: stays as is
            Self.run(state: state, db: db, maxBatch: maxBatch)
        }
        thread.start()
    }

    deinit { stop() }

    /// Stops the writer thread after the jobs already queued; later writes fail.
    public func stop() {
        state.condition.lock()
        state.stopped = true
        state.condition.signal()
        state.condition.unlock()
    }

    /// Runs `body` in a write transaction shared with other writers; returns once it is committed.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let result: any Sendable = try await withCheckedThrowingContinuation { continuation in
            state.condition.lock()
            if state.stopped {
                state.condition.unlock()
                continuation.resume(throwing: StoreError.invalid("the server is shutting down"))
                return
            }
            state.jobs.append((body: { try body($0) }, done: { continuation.resume(with: $0) }))
            state.condition.signal()
            state.condition.unlock()
        }
        return result as! T
    }

    private static func run(state: State, db: Database, maxBatch: Int) {
        while true {
            state.condition.lock()
            while state.jobs.isEmpty && !state.stopped { state.condition.wait() }
            if state.jobs.isEmpty && state.stopped { state.condition.unlock(); return }
            let batch = Array(state.jobs.prefix(maxBatch))
            state.jobs.removeFirst(batch.count)
            state.condition.unlock()

            var results: [Result<any Sendable, any Error>] = []
            results.reserveCapacity(batch.count)
            do {
                try db.write { c in
                    for job in batch { results.append(try c.savepoint(job.body)) }
                }
            } catch {
                // The commit (or a savepoint command) failed: nothing of this batch is durable.
                results = batch.map { _ in .failure(error) }
            }
            for (job, result) in zip(batch, results) { job.done(result) }
        }
    }
}
