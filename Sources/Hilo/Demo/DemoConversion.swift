// The unit conversions of the demo domain: a larger unit is `factor` smaller ones. Questions go either
// way (3 km → 3000 m, or 3000 m → 3 km); names come singular and plural so "1 hour" reads right.
public struct DemoUnit: Sendable, Hashable, Codable {
    public let singular: String
    public let plural: String
    /// Short form used in equations ("3 km = 3000 m"), or the plural when there is none.
    public let symbol: String

    public func name(for count: Int) -> String { count == 1 ? singular : plural }
}

public struct DemoConversion: Sendable, Hashable, Codable {
    public let big: DemoUnit
    public let small: DemoUnit
    public let factor: Int

    /// Every conversion the generator asks about, in a fixed order (an index is a stable identifier).
    public static let all: [DemoConversion] = [
        .init(big: .init(singular: "kilometer", plural: "kilometers", symbol: "km"),
              small: .init(singular: "meter", plural: "meters", symbol: "m"), factor: 1000),
        .init(big: .init(singular: "meter", plural: "meters", symbol: "m"),
              small: .init(singular: "centimeter", plural: "centimeters", symbol: "cm"), factor: 100),
        .init(big: .init(singular: "kilogram", plural: "kilograms", symbol: "kg"),
              small: .init(singular: "gram", plural: "grams", symbol: "g"), factor: 1000),
        .init(big: .init(singular: "hour", plural: "hours", symbol: "h"),
              small: .init(singular: "minute", plural: "minutes", symbol: "min"), factor: 60),
        .init(big: .init(singular: "week", plural: "weeks", symbol: "weeks"),
              small: .init(singular: "day", plural: "days", symbol: "days"), factor: 7),
        .init(big: .init(singular: "dozen", plural: "dozen", symbol: "dozen"),
              small: .init(singular: "egg", plural: "eggs", symbol: "eggs"), factor: 12),
    ]

    /// Every unit name, singular and plural, longest first (for matching "kilometers" before "kilometer").
    public static let unitNames: [String] = {
        var names = Set<String>()
        for c in all { for u in [c.big, c.small] { names.insert(u.singular); names.insert(u.plural) } }
        return names.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }()

    /// The conversion and direction between two unit names (either form), if the domain has it.
    public static func find(from: String, to: String) -> (index: Int, toSmall: Bool)? {
        func isUnit(_ u: DemoUnit, _ s: String) -> Bool { s == u.singular || s == u.plural }
        for (i, c) in all.enumerated() {
            if isUnit(c.big, from) && isUnit(c.small, to) { return (i, true) }
            if isUnit(c.small, from) && isUnit(c.big, to) { return (i, false) }
        }
        return nil
    }
}
