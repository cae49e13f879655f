// F16 and BF16 conversion against the platform's Float16, exhaustive where possible, and
// against torch's own rounding of edge values (subnormals, ±0, ±inf, NaN, overflow).
import Foundation
import Testing
@testable import Engine

@Test func everyHalfBitPatternConvertsToTheSameFloatAsFloat16() {
    var mismatches = 0
    for bits in 0...UInt16.max {
        let ours = HalfPrecision.float(fromHalf: bits)
        #if arch(x86_64) || arch(arm64)
        let reference = Float(Float16(bitPattern: bits))
        if ours.isNaN ? !reference.isNaN : ours.bitPattern != reference.bitPattern { mismatches += 1 }
        #endif
        // Round trip: every non-NaN half comes back bit for bit.
        if !ours.isNaN && HalfPrecision.half(from: ours) != bits { mismatches += 1 }
    }
    #expect(mismatches == 0)
}

@Test func floatToHalfRoundsToNearestEvenLikeFloat16() {
    var g = SystemRandomNumberGenerator()
    var mismatches = 0
    // Random bit patterns over the whole float range plus every float near the half range's edges.
    var samples: [Float] = (0..<200_000).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &g)) }
    for e in [-25, -24, -15, -14, 15, 16] {
        for m in stride(from: 0, to: 1 << 23, by: 4093) {
            samples.append(Float(sign: .plus, exponent: e, significand: 1 + Float(m) / Float(1 << 23)))
        }
    }
    samples += [65504, 65519.99, 65520, 65536, 0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-26, -0x1p-25, .infinity, -.infinity]
    for f in samples where !f.isNaN {
        #if arch(x86_64) || arch(arm64)
        if HalfPrecision.half(from: f) != Float16(f).bitPattern { mismatches += 1 }
        #endif
    }
    #expect(mismatches == 0)
    #expect(HalfPrecision.float(fromHalf: HalfPrecision.half(from: .nan)).isNaN)
    #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: -.nan)).isNaN)
}

@Test func bfloat16RoundsToNearestEvenAndKeepsSpecials() {
    #expect(HalfPrecision.bfloat16(from: 1.0) == 0x3f80)
    #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3f80_8000)) == 0x3f80)   // tie, even stays
    #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3f81_8000)) == 0x3f82)   // tie, odd rounds up
    #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3f80_8001)) == 0x3f81)
    #expect(HalfPrecision.bfloat16(from: .greatestFiniteMagnitude) == 0x7f80)        // overflow → inf
    #expect(HalfPrecision.bfloat16(from: -0.0) == 0x8000)
    #expect(HalfPrecision.float(fromBFloat16: 0x0001) == Float(bitPattern: 0x0001_0000))   // subnormal
}

/// The fixture's edge values, as torch rounded them, read back through SafeTensorsFile.
@Test(arguments: ["f16", "bf16"])
func edgeValuesMatchTorch(_ dtype: String) throws {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: CheckpointFixtures.root.appendingPathComponent("expected/specials.json"))) as! [String: Any]
    let spec = json[dtype] as! [String: [Int]]
    let file = try SafeTensorsFile(url: CheckpointFixtures.root.appendingPathComponent("specials_\(dtype).safetensors"))
    #expect(file.info("edge")?.dtype.rawValue == dtype.uppercased())
    let values = try file.floats("edge")
    let expected = spec["float_bits"]!.map { Float(bitPattern: UInt32($0)) }
    #expect(values.count == expected.count)
    for (got, want) in zip(values, expected) {
        #expect(want.isNaN ? got.isNaN : got.bitPattern == want.bitPattern, "got \(got), torch \(want)")
    }
    // Our Float → half/bfloat16 rounding gives torch's stored bits for every input.
    for (input, stored) in zip(spec["input_bits"]!, spec["stored_bits"]!) {
        let f = Float(bitPattern: UInt32(input))
        let ours = dtype == "f16" ? HalfPrecision.half(from: f) : HalfPrecision.bfloat16(from: f)
        if f.isNaN {
            #expect((dtype == "f16" ? HalfPrecision.float(fromHalf: ours) : HalfPrecision.float(fromBFloat16: ours)).isNaN)
        } else {
            #expect(ours == UInt16(stored), "\(f): ours \(ours), torch \(stored)")
        }
    }
}
