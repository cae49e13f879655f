// Wall-clock time in Unix milliseconds (UTC), the unit of every time Store keeps. Code that needs
// the time takes a `MillisecondClock` (tests pass one they control); `currentTimeMs` is the real one.
import Foundation

/// A source of "now" in Unix milliseconds.
public typealias MillisecondClock = @Sendable () -> Int64

/// Unix milliseconds now.
public func currentTimeMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
