// Float16 (IEEE 754 binary16) and bfloat16 to and from Float, bit by bit, so loading F16 and BF16
// checkpoints does not depend on the platform's Float16 support. Conversions to Float are exact;
// conversions from Float round to nearest, ties to even, as torch's `.half()` and
// `.to(torch.bfloat16)` do. Subnormals, signed zeros and infinities map exactly; NaN stays NaN
// (quiet, with its sign and as much of its payload as fits).

public enum HalfPrecision {
    /// The Float that a binary16 bit pattern stands for (exact: every half is a float).
    @inline(__always)
    public static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1f
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 {
            // Infinity (mantissa 0) or NaN (payload moved to the top of the float mantissa).
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The nearest binary16 to `f` (ties to even); beyond ±65504 it rounds to ±infinity.
    @inline(__always)
    public static func half(from f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xff)
        var mantissa = bits & 0x7f_ffff
        if exponent == 0xff {
            // Infinity stays infinity; NaN becomes a quiet NaN keeping the payload's top bits.
            return mantissa == 0 ? sign | 0x7c00 : sign | 0x7e00 | UInt16(mantissa >> 13)
        }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7c00 }
        if e <= 0 {
            // Subnormal half (or zero): shift the full 24-bit significand into 10 bits.
            if e < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - e)
            var result = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && result & 1 == 1) { result += 1 }
            return sign | UInt16(result)   // a carry lands on the smallest normal, as it should
        }
        var result = UInt32(e) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1fff
        if remainder > 0x1000 || (remainder == 0x1000 && result & 1 == 1) { result += 1 }
        return sign | UInt16(result)       // a carry out of the mantissa bumps the exponent (to inf at most)
    }

    /// The Float that a bfloat16 bit pattern stands for (exact: bfloat16 is a truncated float).
    @inline(__always)
    public static func float(fromBFloat16 b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// The nearest bfloat16 to `f` (ties to even); NaN stays a quiet NaN.
    @inline(__always)
    public static func bfloat16(from f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let roundingBias = 0x7fff + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }

    /// Converts `count` little-endian binary16 values at `source` (any alignment) into floats.
    public static func convertHalf(_ source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let h = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = float(fromHalf: h)
        }
    }

    /// Converts `count` little-endian bfloat16 values at `source` (any alignment) into floats.
    public static func convertBFloat16(_ source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let b = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = float(fromBFloat16: b)
        }
    }
}
