// Reading a JSON request body with Store's fast parser instead of JSONDecoder (whose snake-case key
// conversion dominated the cost of a submit): the same statuses as `Request.decode` (415 wrong
// media type, 400 malformed, 422 wrong shape) and a 422 for unknown fields, which catches typos.
import Foundation
import HTTP
import Store

struct JSONFields {
    let pairs: [(String, JSONValue)]
    /// Where this object sits in the body ("" for the top level, "ranks.0" …) for messages.
    let path: String

    /// The body of `r` as a JSON object.
    static func body(_ r: Request) throws(HTTPError) -> JSONFields {
        guard r.contentType == "application/json" else { throw HTTPError(.unsupportedMediaType, "expected Content-Type: application/json") }
        guard let data = try? r.body.data(), !data.isEmpty else { throw HTTPError.badRequest("empty request body; expected JSON") }
        // Validated by the standard library (Foundation's String(data:encoding:) took a slow path);
        // a body starting with a byte order mark still goes through Foundation, which drops the mark.
        let text = data.starts(with: [0xEF, 0xBB, 0xBF]) ? String(data: data, encoding: .utf8) : String(validating: data, as: UTF8.self)
        guard let text, let value = try? JSONValue.parse(text) else {
            throw HTTPError.badRequest("malformed JSON")
        }
        return try JSONFields(value, path: "")
    }

    init(_ value: JSONValue, path: String) throws(HTTPError) {
        guard case let .object(pairs) = value else { throw HTTPError.unprocessable("expected an object\(path.isEmpty ? "" : " at \(path)")") }
        self.pairs = pairs
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Throws 422 for a field outside `allowed`.
    func only(_ allowed: Set<String>) throws(HTTPError) {
        if let extra = pairs.first(where: { !allowed.contains($0.0) }) { throw HTTPError.unprocessable("unknown field \(name(extra.0))") }
    }

    func value(_ key: String) -> JSONValue? {
        guard let v = pairs.first(where: { $0.0 == key })?.1, v != .null else { return nil }
        return v
    }

    func int(_ key: String) throws(HTTPError) -> Int64? {
        guard let v = value(key) else { return nil }
        guard case let .number(n) = v, n == n.rounded(), abs(n) <= 9_007_199_254_740_992 else { throw HTTPError.unprocessable("wrong type at \(name(key)): expected an integer") }
        return Int64(n)
    }

    func string(_ key: String) throws(HTTPError) -> String? {
        guard let v = value(key) else { return nil }
        guard case let .string(s) = v else { throw HTTPError.unprocessable("wrong type at \(name(key)): expected a string") }
        return s
    }

    func bool(_ key: String) throws(HTTPError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case let .bool(b) = v else { throw HTTPError.unprocessable("wrong type at \(name(key)): expected true or false") }
        return b
    }

    /// The objects of an array field.
    func objects(_ key: String) throws(HTTPError) -> [JSONFields]? {
        guard let v = value(key) else { return nil }
        guard case let .array(items) = v else { throw HTTPError.unprocessable("wrong type at \(name(key)): expected an array") }
        var out: [JSONFields] = []
        for (i, item) in items.enumerated() { out.append(try JSONFields(item, path: "\(name(key)).\(i)")) }
        return out
    }

    func required<T>(_ key: String, _ get: (String) throws(HTTPError) -> T?) throws(HTTPError) -> T {
        guard let v = try get(key) else { throw HTTPError.unprocessable("missing field \(name(key))") }
        return v
    }
}

extension SubmitIn {
    static let fields: Set<String> = ["lease_id", "prompt_id", "kind", "ranks", "both_bad", "ratings", "thumbs", "rationale", "rewrite",
                                      "time_spent_ms", "idempotency_key"]

    init(_ f: JSONFields) throws(HTTPError) {
        try f.only(Self.fields)
        let kindName = try f.required("kind", f.string)
        guard let kind = JudgmentKind(rawValue: kindName) else {
            throw HTTPError.unprocessable("invalid value at kind: use one of \(JudgmentKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.kind = kind
        leaseId = try f.int("lease_id")
        promptId = try f.int("prompt_id")
        bothBad = try f.bool("both_bad")
        rationale = try f.string("rationale")
        rewrite = try f.string("rewrite")
        timeSpentMs = try f.int("time_spent_ms")
        if let t = timeSpentMs, t < 0 { throw HTTPError.unprocessable("time_spent_ms must not be negative") }
        idempotencyKey = try f.string("idempotency_key")
        ranks = try f.objects("ranks")?.map { (o: JSONFields) throws(HTTPError) -> RankIn in
            try o.only(["response_id", "rank"])
            return RankIn(responseId: try o.required("response_id", o.int), rank: Int(clamping: try o.required("rank", o.int)))
        }
        ratings = try f.objects("ratings")?.map { (o: JSONFields) throws(HTTPError) -> RatingIn in
            try o.only(["response_id", "criterion", "score"])
            return RatingIn(responseId: try o.required("response_id", o.int), criterion: try o.required("criterion", o.string),
                            score: Int(clamping: try o.required("score", o.int)))
        }
        thumbs = try f.objects("thumbs")?.map { (o: JSONFields) throws(HTTPError) -> ThumbIn in
            try o.only(["response_id", "up"])
            return ThumbIn(responseId: try o.required("response_id", o.int), up: try o.required("up", o.bool))
        }
    }
}

extension ThumbBody {
    init(_ f: JSONFields) throws(HTTPError) {
        try f.only(["up", "idempotency_key"])
        up = try f.required("up", f.bool)
        idempotencyKey = try f.string("idempotency_key")
    }
}

extension NewAnnotatorIn {
    init(_ f: JSONFields) throws(HTTPError) {
        try f.only(["name", "role"])
        name = try f.required("name", f.string)
        role = try f.string("role").map { text throws(HTTPError) in
            guard let role = Role(rawValue: text) else { throw HTTPError.unprocessable("invalid value at role: use annotator or admin") }
            return role
        }
    }
}
