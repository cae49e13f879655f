// The engine's two-core parallelism for the loops that are not matrix products (LayerNorm, GELU,
// softmax, AdamW; their vector helpers are in Kernels/Vec16.swift). OpenBLAS threads its own sgemm;
// everything else splits its rows into one contiguous range per core with DispatchQueue.concurrentPerform.
import Dispatch
import Foundation

enum Parallel {
    /// The most parts a loop is split into: the machine's active processors (scratch buffers with
    /// one slice per part are sized by it).
    static let width = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Threads that may run parts at once: ThreadBudget's limit (at most `width`).
    @inline(__always) static var active: Int { ThreadBudget.limit }

    /// Runs `body` over `0..<n` split into at most `active` contiguous ranges, in parallel when
    /// every range gets at least `minChunk` items.
    @inline(__always)
    static func ranges(_ n: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(active, n / max(minChunk, 1))
        if parts <= 1 { if n > 0 { body(0..<n) }; return }
        withoutActuallyEscaping(body) { body in
            let work = ForkJoinWork(body: body)
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                work.body((n * p / parts)..<(n * (p + 1) / parts))
            }
        }
    }

    /// Like `ranges`, with a fixed number of parts and the part index passed to `body`. At most
    /// `active` threads run them: with a smaller budget each thread takes every `active`-th part.
    @inline(__always)
    static func parts(_ n: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
        if parts <= 1 { body(0, 0..<n); return }
        let threads = min(parts, active)
        if threads <= 1 {
            for p in 0..<parts { body(p, (n * p / parts)..<(n * (p + 1) / parts)) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = ForkJoinWork(body: body)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                var p = t
                while p < parts {
                    work.body(p, (n * p / parts)..<(n * (p + 1) / parts))
                    p += threads
                }
            }
        }
    }
}

extension Parallel {
    /// p[0..<n] = 0, split over the engine's threads when large (the backward's scratch buffers).
    static func zero(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        ranges(n, minChunk: 1 << 16) { r in (p + r.lowerBound).update(repeating: 0, count: r.count) }
    }

    /// Part `p` of `0..<n` split into `parts` contiguous blocks whose bounds are multiples of 16
    /// (matrix kernels then meet their edge cases only at the end); trailing parts may be empty.
    static func block(_ n: Int, part p: Int, of parts: Int) -> Range<Int> {
        let blocks = (n + 15) / 16
        return min(n, blocks * p / parts * 16)..<min(n, blocks * (p + 1) / parts * 16)
    }
}

/// Hands a loop body to concurrentPerform's workers. @unchecked Sendable without a lock because
/// it is a fork-join: every part works on its own disjoint range of rows (callers guarantee the
/// writes do not overlap), and concurrentPerform returns only after all parts have finished, so
/// nothing the body touches is shared across threads outside that window.
private struct ForkJoinWork<Body>: @unchecked Sendable {
    let body: Body
}
