// A value guarded by a lock: the only shared mutable state in Store (the writer connection and the
// reader pool). Foundation's NSLock keeps this portable to macOS 14, where Synchronization.Mutex
// is not available.
import Foundation

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
