// The engine's two-core parallelism and vector helpers for the loops that are not matrix
// products (LayerNorm, GELU, softmax, AdamW). OpenBLAS threads its own sgemm; everything else
// splits its rows into one contiguous range per core with DispatchQueue.concurrentPerform.
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

typealias F16 = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> F16 {
    UnsafeRawPointer(p).loadUnaligned(as: F16.self)
}
@inline(__always) func store16(_ v: F16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16.self)
}

/// Vectorised e^x (Cody–Waite range reduction, degree-6 polynomial; ~1 ulp on the inputs the
/// engine sees, 0 below -87).
@inline(__always) func vexp(_ x: F16) -> F16 {
    let hi = F16(repeating: 88.0), lo = F16(repeating: -87.0)
    let xc = x.replacing(with: hi, where: x .> hi).replacing(with: lo, where: x .< lo)
    // Round x·log2(e) to an integer by adding 1.5·2^23: the integer lands in the low mantissa bits.
    let magic = F16(repeating: 12_582_912.0)
    let shifted = xc * F16(repeating: 1.442_695_04) + magic
    let n = shifted - magic
    let r = xc - n * F16(repeating: 0.693_145_75) - n * F16(repeating: 1.428_606_8e-6)
    var p = F16(repeating: 1.0 / 720) * r + F16(repeating: 1.0 / 120)
    p = p * r + F16(repeating: 1.0 / 24)
    p = p * r + F16(repeating: 1.0 / 6)
    p = p * r + F16(repeating: 0.5)
    p = p * r + F16(repeating: 1)
    p = p * r + F16(repeating: 1)
    let bits = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- SIMD16<Int32>(repeating: 0x4B40_0000 - 127)) &<< SIMD16<Int32>(repeating: 23)
    return p * unsafeBitCast(bits, to: F16.self)
}

/// Sum of n floats.
@inline(__always) func vsum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = F16(); var i = 0
    while i + 16 <= n { acc += load16(p + i); i += 16 }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

/// Dot product of n floats.
@inline(__always) func vdot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = F16(); var i = 0
    while i + 16 <= n { acc += load16(a + i) * load16(b + i); i += 16 }
    var s = acc.sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// Maximum of n > 0 floats.
@inline(__always) func vmax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = -Float.infinity; var i = 0
    if n >= 16 {
        var acc = load16(p); i = 16
        // A compare and select: the standard library's pointwiseMax goes lane by lane through memory.
        while i + 16 <= n { let x = load16(p + i); acc = acc.replacing(with: x, where: x .> acc); i += 16 }
        m = acc.max()
    }
    while i < n { m = max(m, p[i]); i += 1 }
    return m
}

/// p[i] = exp(p[i] - shift) in place; returns the sum of the results.
@inline(__always) func vexpShiftSum(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    var acc = F16(); var i = 0
    while i + 16 <= n { let e = vexp(load16(p + i) - shift); store16(e, p + i); acc += e; i += 16 }
    var s = acc.sum()
    while i < n { let e = Foundation.exp(p[i] - shift); p[i] = e; s += e; i += 1 }
    return s
}

/// p[i] *= a in place.
@inline(__always) func vscale(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ a: Float) {
    var i = 0
    while i + 16 <= n { store16(load16(p + i) * a, p + i); i += 16 }
    while i < n { p[i] *= a; i += 1 }
}
