// The vector helpers of the element-wise kernels (LayerNorm, GELU, softmax, attention, AdamW):
// `Vec16`, 16 Float lanes (one AVX-512 register, two AVX2 ones), unaligned loads and stores, and the
// reductions and exp the kernels share. Each helper ends with a scalar loop for the n % 16 tail.
import Foundation

/// 16 Float lanes.
typealias Vec16 = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> Vec16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec16.self)
}
@inline(__always) func store16(_ v: Vec16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec16.self)
}

/// Vectorised e^x (Cody–Waite range reduction, degree-6 polynomial; ~1 ulp on the inputs the
/// engine sees, 0 below -87).
@inline(__always) func vexp(_ x: Vec16) -> Vec16 {
    let hi = Vec16(repeating: 88.0), lo = Vec16(repeating: -87.0)
    let xc = x.replacing(with: hi, where: x .> hi).replacing(with: lo, where: x .< lo)
    // Round x·log2(e) to an integer by adding 1.5·2^23: the integer lands in the low mantissa bits.
    let magic = Vec16(repeating: 12_582_912.0)
    let shifted = xc * Vec16(repeating: 1.442_695_04) + magic
    let n = shifted - magic
    let r = xc - n * Vec16(repeating: 0.693_145_75) - n * Vec16(repeating: 1.428_606_8e-6)
    var p = Vec16(repeating: 1.0 / 720) * r + Vec16(repeating: 1.0 / 120)
    p = p * r + Vec16(repeating: 1.0 / 24)
    p = p * r + Vec16(repeating: 1.0 / 6)
    p = p * r + Vec16(repeating: 0.5)
    p = p * r + Vec16(repeating: 1)
    p = p * r + Vec16(repeating: 1)
    let bits = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- SIMD16<Int32>(repeating: 0x4B40_0000 - 127)) &<< SIMD16<Int32>(repeating: 23)
    return p * unsafeBitCast(bits, to: Vec16.self)
}

/// Sum of n floats.
@inline(__always) func vsum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vec16(); var i = 0
    while i + 16 <= n { acc += load16(p + i); i += 16 }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

/// Dot product of n floats.
@inline(__always) func vdot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vec16(); var i = 0
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
    var acc = Vec16(); var i = 0
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
