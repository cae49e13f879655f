// A value shared between a test and the closures it hands out (a server's handlers, a training
// run's hooks), read and changed under a lock.
import Foundation

public final class LockedBox<T: Sendable>: @unchecked Sendable {
    // `stored` is only touched while holding `lock`.
    private let lock = NSLock()
    private var stored: T
    public init(_ value: T) { stored = value }
    public var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    public func mutate(_ f: (inout T) -> Void) { lock.lock(); defer { lock.unlock() }; f(&stored) }
}
