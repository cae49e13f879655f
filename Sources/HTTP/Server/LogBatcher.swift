// Log lines gathered in memory and written to a file descriptor in one write(2) per batch, instead of
// one per line: under load the access log cost a system call per request on the event loop. A batch
// goes out when the buffer reaches `capacity`, `interval` seconds after its first line (a flusher
// thread that sleeps while the buffer is empty), and whenever `flush()` is called (the server calls
// it once its loops have stopped, so graceful shutdown loses no line). Lines are never dropped: a
// line longer than the whole buffer is written through on its own, after the lines before it.
import Foundation
import Glibc
import Support

public final class LogBatcher: Sendable {
    private let state: State

    /// `capacity`: bytes held before a write; `interval`: seconds a line may wait at most (0 writes
    /// every line at once, as an unbuffered log would). The flusher thread ends with `close()` or
    /// when the buffer is deallocated (which writes what is left).
    public init(fd: Int32, capacity: Int = 64 * 1024, interval: Double = 0.1) {
        precondition(capacity >= 1, "capacity must be at least 1 byte")
        precondition(interval >= 0, "interval must not be negative")
        let state = State(fd: fd, capacity: capacity, interval: interval)
        self.state = state
        if interval > 0 {
            let thread = Thread {
                ThreadName.setCurrent("hilo-log")
                while state.waitForBatch() { state.flush() }
            }
            thread.start()
        }
    }

    deinit { state.close() }

    /// Adds `line` and a newline; writes the batch when it is full.
    public func append(_ line: String) { state.append(line) }

    /// Writes every line appended so far; returns once they are written.
    public func flush() { state.flush() }

    /// Stops the flusher thread after writing what is buffered; later lines are written at once.
    public func close() { state.close() }

    /// Bytes waiting to be written (tests).
    var bufferedByteCount: Int { state.bufferedByteCount }

    private final class State: @unchecked Sendable {
        // `@unchecked Sendable`: `bytes`, `pending` and `closed` are read and written only while
        // holding `condition`; `fd`, `capacity` and `interval` are immutable. `writeLock` keeps
        // batches in order when two threads write at once: it is taken before `condition` is let go.
        let fd: Int32
        let capacity: Int
        let interval: Double
        private let condition = NSCondition()
        private let writeLock = NSLock()
        private var bytes: [UInt8] = []
        private var pending = false
        private var closed = false

        init(fd: Int32, capacity: Int, interval: Double) {
            self.fd = fd
            self.capacity = capacity
            self.interval = interval
            bytes.reserveCapacity(capacity)
        }

        func append(_ line: String) {
            condition.lock()
            let size = line.utf8.count + 1
            if size > capacity || interval == 0 || closed {
                // Too long to ever fit, unbuffered or closed: straight out, after what came before it.
                var batch = takeBatch()
                batch.append(contentsOf: line.utf8)
                batch.append(0x0A)
                write(batch)
                return
            }
            if bytes.count + size > capacity { write(takeBatch()); condition.lock() }
            bytes.append(contentsOf: line.utf8)
            bytes.append(0x0A)
            if !pending { pending = true; condition.signal() }
            condition.unlock()
        }

        func flush() {
            condition.lock()
            write(takeBatch())
        }

        func close() {
            condition.lock()
            closed = true
            condition.signal()
            write(takeBatch())
        }

        var bufferedByteCount: Int { condition.lock(); defer { condition.unlock() }; return bytes.count }

        /// The flusher's wait: until a line arrives, then `interval` more. False once closed.
        func waitForBatch() -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while !pending && !closed { condition.wait() }
            if closed { return false }
            // The whole interval: a signal for a later line (after a full buffer was written) must not
            // cut it short, or the lines after it would go out at once, one write each.
            let deadline = Date(timeIntervalSinceNow: interval)
            while !closed && condition.wait(until: deadline) {}
            return !closed
        }

        /// Hands the buffered bytes over, leaving an empty buffer of the same capacity. Holds `condition`.
        private func takeBatch() -> [UInt8] {
            pending = false
            guard !bytes.isEmpty else { return [] }
            var batch: [UInt8] = []
            batch.reserveCapacity(capacity)
            swap(&batch, &bytes)
            return batch
        }

        /// Called holding `condition`, which it releases: writes `batch` in order with other batches.
        private func write(_ batch: [UInt8]) {
            writeLock.lock()
            condition.unlock()
            defer { writeLock.unlock() }
            guard !batch.isEmpty else { return }
            batch.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return } // a closed or broken log: the server keeps serving
                    done += n
                }
            }
        }
    }
}
