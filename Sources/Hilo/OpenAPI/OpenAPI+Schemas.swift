// The schemas and shared error responses of the OpenAPI document, and small builders for it.
import Store

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
}

extension OpenAPI {
    static let string: JSONValue = .object([("type", "string")])
    static let integer: JSONValue = .object([("type", "integer")])
    static let number: JSONValue = .object([("type", "number")])
    static let boolean: JSONValue = .object([("type", "boolean")])
    static func nullable(_ type: String) -> JSONValue { .object([("type", .array([.string(type), "null"]))]) }
    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
    static func array(_ items: JSONValue) -> JSONValue { .object([("type", "array"), ("items", items)]) }

    static let nonEmpty: JSONValue = .object([("type", "string"), ("minLength", 1)])
    /// A name: 1 to 100 characters (Unicode scalars, as JSON Schema counts them), not blank.
    static let name: JSONValue = .object([("type", "string"), ("minLength", 1), ("maxLength", 100), ("pattern", "\\S")])
    static func int(_ lo: Int, _ hi: Int) -> JSONValue { .object([("type", "integer"), ("minimum", .number(Double(lo))), ("maximum", .number(Double(hi)))]) }
    /// A number strictly between `lo` and `hi`.
    static func open(_ lo: Double, _ hi: Double) -> JSONValue { .object([("type", "number"), ("exclusiveMinimum", .number(lo)), ("exclusiveMaximum", .number(hi))]) }
    static let id: JSONValue = .object([("type", "integer"), ("minimum", 1)])

    /// `schema` as a request body: every object in it refuses properties it does not list, as the
    /// server does ("unknown field"); a reference to a component is resolved first.
    static func closed(_ schema: JSONValue) -> JSONValue {
        guard case let .object(fields) = schema else { return schema }
        if let (_, target) = fields.first(where: { $0.0 == "$ref" }), case let .string(path) = target,
           case let .object(components) = components, case let .object(schemas)? = components.first(where: { $0.0 == "schemas" })?.1,
           let named = schemas.first(where: { "#/components/schemas/" + $0.0 == path })?.1 {
            return closed(named)
        }
        var out = fields.map { (key, value) -> (String, JSONValue) in
            switch (key, value) {
            case ("properties", .object(let properties)): return (key, .object(properties.map { ($0.0, closed($0.1)) }))
            case ("items", _): return (key, closed(value))
            default: return (key, value)
            }
        }
        if fields.contains(where: { $0.0 == "properties" }) { out.append(("additionalProperties", .bool(false))) }
        return .object(out)
    }

    /// An object schema; properties in key order. Each group of `oneOf` names fields of which at least
    /// one must be given (a version by name or by id).
    static func obj(_ properties: KeyValuePairs<String, JSONValue>, required: [String] = [], oneOf: [[String]] = []) -> JSONValue {
        var fields: [(String, JSONValue)] = [("type", "object"), ("properties", .object(properties.map { ($0.key, $0.value) }))]
        if !required.isEmpty { fields.append(("required", .array(required.map { .string($0) }))) }
        if !oneOf.isEmpty {
            fields.append(("allOf", .array(oneOf.map { group in
                .object([("anyOf", .array(group.map { .object([("required", .array([.string($0)]))]) }))])
            })))
        }
        return .object(fields)
    }

    static func param(_ name: String, in location: String, required: Bool, _ schema: JSONValue, description: String? = nil) -> JSONValue {
        var fields: [(String, JSONValue)] = [("name", .string(name)), ("in", .string(location)), ("required", .bool(required)), ("schema", schema)]
        if let description { fields.append(("description", .string(description))) }
        return .object(fields)
    }

    static let messages = array(obj(["role": string, "content": string], required: ["role", "content"]))
    static let rank = obj(["response_id": integer, "rank": .object([("type", "integer"), ("minimum", 1)])], required: ["response_id", "rank"])
    static let rating = obj(["response_id": integer, "criterion": string, "score": .object([("type", "integer"), ("minimum", 1), ("maximum", 7)])],
                            required: ["response_id", "criterion", "score"])
    static let thumb = obj(["response_id": integer, "up": boolean], required: ["response_id", "up"])
    static let kinds: JSONValue = .object([("enum", .array(JudgmentKind.allCases.map { .string($0.rawValue) }))])
    /// What POST /api/v1/judgments takes: a skip goes through POST /api/v1/leases/{id}/skip.
    static let submitKinds: JSONValue = .object([("enum", .array(JudgmentKind.allCases.filter { $0 != .skip }.map { .string($0.rawValue) }))])

    static var components: JSONValue {
        let schemas: [(String, JSONValue)] = [
            ("Error", obj(["error": obj(["message": string], required: ["message"])], required: ["error"])),
            ("Me", obj(["id": integer, "name": string, "role": .object([("enum", .array(["annotator", "admin"]))])])),
            ("Lease", obj([
                "id": integer, "expires_at": .object([("type", "integer"), ("description", "Unix milliseconds")]),
                "prompt": obj(["id": integer, "text": string, "messages": .object([("oneOf", .array([messages, .object([("type", "null")])]))])]),
                "responses": array(obj(["label": .object([("type", "string"), ("description", "A, B, … in the shown order")]), "id": integer, "text": string])),
                "criteria": array(string),
                "scores": .object([("type", "array"), ("items", obj(["response_id": integer, "score": number])),
                                   ("description", "Reward-model scores of the shown responses; only when rlaif.show_scores_to_annotators is on")]),
            ])),
            ("SubmitJudgment", obj([
                "lease_id": id, "prompt_id": id, "kind": submitKinds,
                "ranks": .object([("type", "array"), ("items", rank), ("description", "pairwise: 2 entries (equal ranks = tie); ranking: every shown response, ties allowed")]),
                "both_bad": boolean, "ratings": array(rating), "thumbs": array(thumb),
                "rationale": nullable("string"), "rewrite": nullable("string"), "time_spent_ms": .object([("type", "integer"), ("minimum", 0)]),
            ], required: ["kind"])),
            ("Judgment", obj([
                "id": integer, "prompt_id": integer, "kind": kinds, "both_bad": boolean, "ranks": array(rank), "ratings": array(rating),
                "thumbs": array(thumb), "rationale": nullable("string"), "rewrite": nullable("string"), "time_spent_ms": nullable("integer"),
                "lease_id": nullable("integer"), "created_at": integer, "undone_at": nullable("integer"),
            ])),
            ("SubmitResult", obj(["judgment": ref("Judgment"), "undo_until": integer])),
            ("Progress", obj(["done_today": integer, "done_total": integer, "skipped": integer, "left": integer])),
            ("Annotator", obj(["id": integer, "name": string, "role": string, "disabled": boolean, "can_log_in": boolean, "created_at": integer, "labels": integer])),
            ("LoginLink", obj(["annotator": ref("Annotator"), "login_url": string])),
            ("Settings", obj([
                "criteria": .object([("type", "array"), ("items", name), ("minItems", 1), ("maxItems", 20), ("uniqueItems", .bool(true))]),
                "responses_per_task": .object([("type", "integer"), ("minimum", 2), ("maximum", 16)]),
                "overlap": .object([("type", "integer"), ("minimum", 1), ("maximum", 50)]), "prioritize_disagreement": boolean,
                "lease_seconds": .object([("type", "integer"), ("minimum", 30), ("maximum", 86400)]),
                "undo_window_seconds": .object([("type", "integer"), ("minimum", 0), ("maximum", 86400)]),
                "retraining": obj(["min_new_labels": int(1, 10_000_000), "min_interval_seconds": int(0, 604_800),
                                    "objective": .object([("enum", .array(AppSettings.objectives.map { .string($0) }))]), "automatic": boolean,
                                    "promotion": .object([("enum", .array(["automatic", "manual"]))]), "keep_versions": int(1, 1000),
                                    "threads": int(1, 256), "include_ai_labels": boolean]),
                "candidates": obj([
                    "enabled": boolean, "per_prompt": .object([("type", "integer"), ("minimum", 2), ("maximum", 16)]),
                    "buffer_prompts": .object([("type", "integer"), ("minimum", 1), ("maximum", 100000)]),
                    "temperature": .object([("type", "number"), ("exclusiveMinimum", 0), ("maximum", 10)]),
                    "top_p": .object([("type", "number"), ("exclusiveMinimum", 0), ("maximum", 1)]), "max_new_tokens": .object([("type", "integer"), ("minimum", 1), ("maximum", 4096)]),
                    "poll_seconds": .object([("type", "integer"), ("minimum", 1), ("maximum", 86400)]),
                ]),
                "rlaif": obj([
                    "score_responses": boolean, "show_scores_to_annotators": boolean, "auto_label": boolean,
                    "confidence_threshold": .object([("type", "number"), ("exclusiveMinimum", .number(0.5)), ("exclusiveMaximum", 1)]),
                ]),
                "evaluation": obj([
                    "prompts": .object([("type", "integer"), ("minimum", 1), ("maximum", 100000)]),
                    "samples_per_prompt": .object([("type", "integer"), ("minimum", 1), ("maximum", 256)]),
                    "promotion": obj(["minimum_comparisons": id, "criterion": .object([("enum", .array(["wilsonLowerBound", "signTest", "both"]))]),
                                      "confidence": open(0, 1), "alpha": open(0, 1),
                                      "minimum_win_rate": .object([("type", "number"), ("minimum", 0), ("maximum", 1)])]),
                ]),
                "guidelines": .object([("type", "string"), ("maxLength", 65_536)]),
            ])),
            ("Stats", obj([
                "totals": obj(["prompts": integer, "responses": integer, "labels": integer, "pairs": integer, "annotators": integer]),
                "days": array(obj(["day": string, "labels": integer, "skips": integer])),
                "annotators": array(obj(["annotator_id": integer, "name": string, "labels": integer, "labels_last24h": integer,
                                         "median_seconds_per_label": nullable("number"), "agreement_percent": nullable("number"), "alpha_without": nullable("number")])),
                "agreement": obj(["comparisons": integer, "percent": nullable("number"), "alpha": nullable("number"), "prompts_with_overlap": integer]),
                "coverage": obj(["overlap": integer, "prompts": integer, "by_judgments": array(obj(["judgments": integer, "prompts": integer])), "complete": integer]),
            ])),
            ("ImportResult", obj([
                "rows": integer, "prompts_added": integer, "responses_added": integer, "judgments_added": integer, "unchanged_rows": integer,
                "bad_rows": integer, "stopped": boolean, "errors": array(obj(["line": integer, "field": nullable("string"), "message": string])),
            ])),
        ]
        let descriptions: [(Int, String)] = [
            (400, "Malformed request (bad JSON, bad encoding)"), (401, "No valid session or token"), (403, "Not allowed (admins only, the Origin check failed, or an annotator acting outside the leases they were given)"),
            (404, "No such resource"), (409, "Conflicts with the current state"), (413, "Body too large"), (415, "Wrong Content-Type"),
            (422, "Well-formed but invalid values"), (429, "Too many failed login attempts (see Retry-After)"),
            (503, "Not available now (the training loop is not running, or the database is busy; see Retry-After)"),
        ]
        let errorContent: JSONValue = .object([("application/json", .object([("schema", ref("Error"))]))])
        return .object([
            ("schemas", .object(schemas)),
            ("responses", .object(descriptions.map { ("Error\($0.0)", .object([("description", .string($0.1)), ("content", errorContent)])) })),
            ("securitySchemes", .object([
                ("session", .object([("type", "apiKey"), ("in", "cookie"), ("name", "hilo_session")])),
                ("bearer", .object([("type", "http"), ("scheme", "bearer"), ("description", "An annotator's login token")])),
            ])),
        ])
    }
}
