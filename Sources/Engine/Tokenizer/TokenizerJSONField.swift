// A value inside a parsed tokenizer.json together with its path ("pre_tokenizer.pretokenizers[1]"),
// so that every complaint names the exact field, e.g.
// `pre_tokenizer.pretokenizers[1].type "Foo" is not supported`.

/// A JSON value (or its absence) at a path inside a document.
struct TokenizerJSONField {
    let value: Any?
    let path: String

    init(_ value: Any?, path: String) {
        self.value = value
        self.path = path
    }

    subscript(key: String) -> TokenizerJSONField {
        TokenizerJSONField((value as? JSONObject)?[key], path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// Absent or JSON null.
    var isNull: Bool { value == nil || value is JSONNull }

    func fail(_ why: String) -> EngineError { .invalidInput("\(path) \(why)") }

    func string() throws -> String {
        guard let s = value as? String else { throw fail(isNull ? "is missing" : "is not a string") }
        return s
    }

    func optionalString() throws -> String? { isNull ? nil : try string() }

    func bool(default fallback: Bool) throws -> Bool {
        if isNull { return fallback }
        guard let b = value as? Bool else { throw fail("is not true or false") }
        return b
    }

    func int(default fallback: Int? = nil) throws -> Int {
        if isNull, let fallback { return fallback }
        if let n = value as? Int { return n }
        if let d = value as? Double, d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        throw fail(isNull ? "is missing" : "is not an integer")
    }

    func array() throws -> [TokenizerJSONField] {
        guard let a = value as? [Any] else { throw fail(isNull ? "is missing" : "is not an array") }
        return a.enumerated().map { TokenizerJSONField($1, path: "\(path)[\($0)]") }
    }

    /// The object's keys and values, in file order, every key kept exactly as written.
    func object() throws -> [(String, TokenizerJSONField)] {
        guard let o = value as? JSONObject else { throw fail(isNull ? "is missing" : "is not an object") }
        return o.members.map { ($0.key, TokenizerJSONField($0.value, path: "\(path)[\(tokenQuoted($0.key))]")) }
    }

    /// The `type` of a component, for the switch that parses it.
    func type() throws -> String { try self["type"].string() }

    /// The error for a component type Hilo does not implement.
    func unsupported() -> EngineError {
        let t = self["type"]
        return .invalidInput("\(t.path) \(tokenQuoted((t.value as? String) ?? "?")) is not supported")
    }

    /// A Split/Replace pattern: {"String": "…"} or {"Regex": "…"}.
    func pattern() throws -> TextPattern {
        if let s = self["String"].value as? String { return .string(s) }
        if let r = self["Regex"].value as? String {
            do { return .regex(try RegexPattern(r)) } catch EngineError.invalidInput(let why) { throw fail(why) }
        }
        throw fail("is neither {\"String\": …} nor {\"Regex\": …}")
    }

    /// A one-character string (Metaspace's replacement, Strip's content).
    func scalar() throws -> Unicode.Scalar {
        let s = try string()
        guard s.unicodeScalars.count == 1 else { throw fail("\(tokenQuoted(s)) is not a single character") }
        return s.unicodeScalars.first!
    }
}
