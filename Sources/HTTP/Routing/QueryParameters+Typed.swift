// Typed query parameters: a value the route's documented schema does not allow is a 422 naming the
// parameter and what it takes, never a silent default or a clamp (the OpenAPI document and the server
// agree; schemathesis checks it in make test).
extension QueryParameters {
    /// The integer `name` within `range`; `fallback` when the parameter is absent.
    public func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(HTTPError) -> Int {
        guard let raw = self[name] else { return fallback }
        guard let v = Int(raw), range.contains(v) else {
            throw HTTPError.unprocessable("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    /// The boolean `name`: true, 1 or yes; false, 0 or no; false when absent.
    public func flag(_ name: String) throws(HTTPError) -> Bool {
        guard let raw = self[name] else { return false }
        switch raw.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw HTTPError.unprocessable("\(name) must be true or false")
        }
    }
}
