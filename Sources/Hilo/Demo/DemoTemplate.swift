// A phrasing with placeholders, e.g. "How many {to} are in {n} {from}?", used both ways: rendered with
// values to write a question, and matched against a text to read a question back (the judge's parser).
// Number placeholders ({a}, {b}, {n}) match digit runs; word placeholders match one of a fixed list.
// Matching ignores case and collapses runs of whitespace; a placeholder used twice must match the same
// text both times.
struct DemoTemplate: Sendable {
    enum Segment: Sendable, Equatable { case literal(String), slot(String) }

    let text: String
    let segments: [Segment]

    init(_ text: String) {
        self.text = text
        var segments: [Segment] = [], literal = "", rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            literal += rest[..<open]
            if !literal.isEmpty { segments.append(.literal(literal)); literal = "" }
            segments.append(.slot(String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }

    /// The names of the slots, in order of first use.
    var slots: [String] {
        var out: [String] = []
        for case let .slot(s) in segments where !out.contains(s) { out.append(s) }
        return out
    }

    /// The template with every slot replaced (a missing value is a programmer error).
    func render(_ values: [String: String]) -> String {
        segments.map { seg in
            switch seg {
            case let .literal(s): return s
            case let .slot(s):
                guard let v = values[s] else { preconditionFailure("no value for {\(s)} in \"\(text)\"") }
                return v
            }
        }.joined()
    }

    /// Reads `input` as this template: the slot values, or nil when it does not fit. `choices` lists the
    /// words a word slot may take (lowercase); slots not in it are numbers.
    func match(_ input: String, choices: [String: [String]]) -> [String: String]? {
        let text = Array(Self.normalize(input).unicodeScalars)
        let segs = segments.map { seg -> Segment in
            if case let .literal(s) = seg { return .literal(Self.normalize(s, trim: false)) }
            return seg
        }
        var bound: [String: String] = [:]
        return Self.match(segs[...], text[...], choices, &bound) ? bound : nil
    }

    private static func match(_ segs: ArraySlice<Segment>, _ text: ArraySlice<Unicode.Scalar>,
                              _ choices: [String: [String]], _ bound: inout [String: String]) -> Bool {
        guard let first = segs.first else { return text.isEmpty }
        let rest = segs.dropFirst()
        switch first {
        case let .literal(lit):
            let l = Array(lit.unicodeScalars)
            guard text.count >= l.count, text.prefix(l.count).elementsEqual(l) else { return false }
            return match(rest, text.dropFirst(l.count), choices, &bound)
        case let .slot(name):
            var options: [String]
            if let fixed = bound[name] {
                options = [fixed]
            } else if let list = choices[name] {
                options = list
            } else {
                let digits = text.prefix { ("0"..."9").contains($0) }
                guard !digits.isEmpty, digits.count <= 6 else { return false }
                options = [String(String.UnicodeScalarView(digits))]
            }
            for option in options {
                let o = Array(option.unicodeScalars)
                guard text.count >= o.count, text.prefix(o.count).elementsEqual(o) else { continue }
                let wasBound = bound[name] != nil
                bound[name] = option
                if match(rest, text.dropFirst(o.count), choices, &bound) { return true }
                if !wasBound { bound[name] = nil }
            }
            return false
        }
    }

    /// Lowercased, whitespace runs as one space, trimmed (unless `trim` is false, for literals).
    static func normalize(_ s: String, trim: Bool = true) -> String {
        var out = "", space = false
        for ch in s.lowercased() {
            if ch.isWhitespace { space = true; continue }
            if space && !(trim && out.isEmpty) { out.append(" ") }
            space = false
            out.append(ch)
        }
        if space && !trim { out.append(" ") }
        return out
    }
}
