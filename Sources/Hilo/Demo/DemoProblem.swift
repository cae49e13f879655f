// One question of the demo domain, independent of its wording: an addition, subtraction or
// multiplication of small numbers, or a unit conversion. A problem knows its answer, plausible wrong
// answers and its equation. Which rows a question may appear in is decided by its wording
// (`DemoSplit`): the facts are shared by every set, the question texts are not.
import Support

public struct DemoProblem: Sendable, Hashable, Codable {
    public enum Operation: String, Sendable, Hashable, Codable, CaseIterable { case add, subtract, multiply, convert }

    public let operation: Operation
    /// First operand; for a conversion, the amount to convert.
    public let a: Int
    /// Second operand; for a conversion, the index in `DemoConversion.all`.
    public let b: Int
    /// Conversions only: from the big unit to the small one (3 km → 3000 m) rather than back.
    public let toSmall: Bool

    /// Operand ranges. Small on purpose: a tiny model has to learn every fact from under a million
    /// tokens (a couple of minutes of training on two cores); with 1…20 sums it stayed near chance.
    public static let addRange = 1...10
    public static let subtractRange = 1...10
    public static let multiplyRange = 1...5
    /// Amounts in the big unit (1…5 km, or 1000…5000 m converted back).
    public static let convertRange = 1...5

    public init(operation: Operation, a: Int, b: Int, toSmall: Bool = false) {
        switch operation {
        case .add: precondition(Self.addRange.contains(a) && Self.addRange.contains(b), "add operands out of range")
        case .subtract: precondition(Self.subtractRange.contains(a) && (1...a).contains(b), "subtract operands out of range")
        case .multiply: precondition(Self.multiplyRange.contains(a) && Self.multiplyRange.contains(b), "multiply operands out of range")
        case .convert:
            precondition(DemoConversion.all.indices.contains(b), "no conversion \(b)")
            let f = DemoConversion.all[b].factor
            precondition(toSmall ? Self.convertRange.contains(a) : a % f == 0 && Self.convertRange.contains(a / f), "conversion amount out of range")
        }
        self.operation = operation; self.a = a; self.b = b; self.toSmall = operation == .convert && toSmall
    }

    public var conversion: DemoConversion? { operation == .convert ? DemoConversion.all[b] : nil }

    /// The correct answer.
    public var answer: Int {
        switch operation {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .convert: let f = DemoConversion.all[b].factor; return toSmall ? a * f : a / f
        }
    }

    /// The numbers a question states (the judge does not take a repeated operand for the answer).
    public var operands: [Int] { operation == .convert ? [a] : [a, b] }

    /// The problem's identity: "add 7 5", "convert 3 hour>minute 2".
    public var key: String {
        switch operation {
        case .convert:
            let c = DemoConversion.all[b]
            return toSmall ? "convert \(b) \(c.big.singular)>\(c.small.singular) \(a)"
                           : "convert \(b) \(c.small.singular)>\(c.big.singular) \(a)"
        default: return "\(operation.rawValue) \(a) \(b)"
        }
    }

    /// FNV-1a over the UTF-8 bytes, then SplitMix64's finalizer so the low bits are well mixed.
    /// Stable across processes and platforms (Swift's `Hasher` is seeded per process).
    public static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in s.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }

    /// Every problem of the domain, in a fixed order.
    public static let all: [DemoProblem] = {
        var out: [DemoProblem] = []
        for a in addRange { for b in addRange { out.append(.init(operation: .add, a: a, b: b)) } }
        for a in subtractRange { for b in 1...a { out.append(.init(operation: .subtract, a: a, b: b)) } }
        for a in multiplyRange { for b in multiplyRange { out.append(.init(operation: .multiply, a: a, b: b)) } }
        for (i, c) in DemoConversion.all.enumerated() {
            for n in convertRange {
                out.append(.init(operation: .convert, a: n, b: i, toSmall: true))
                out.append(.init(operation: .convert, a: n * c.factor, b: i, toSmall: false))
            }
        }
        return out
    }()

    /// A random problem: the operation first (add 3 : subtract 3 : multiply 2 : convert 2), then
    /// uniform operands.
    public static func random(rng: inout SplitMix64) -> DemoProblem {
        switch rng.int(in: 0...9) {
        case 0...2: return .init(operation: .add, a: rng.int(in: addRange), b: rng.int(in: addRange))
        case 3...5:
            let a = rng.int(in: subtractRange)
            return .init(operation: .subtract, a: a, b: rng.int(in: 1...a))
        case 6...7: return .init(operation: .multiply, a: rng.int(in: multiplyRange), b: rng.int(in: multiplyRange))
        default:
            let i = rng.int(in: 0...(DemoConversion.all.count - 1)), n = rng.int(in: convertRange)
            return rng.chance(1, in: 2) ? .init(operation: .convert, a: n, b: i, toSmall: true)
                                        : .init(operation: .convert, a: n * DemoConversion.all[i].factor, b: i, toSmall: false)
        }
    }
}
