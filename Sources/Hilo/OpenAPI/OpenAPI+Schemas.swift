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

    /// An object schema; properties in key order.
    static func obj(_ properties: KeyValuePairs<String, JSONValue>, required: [String] = []) -> JSONValue {
        var fields: [(String, JSONValue)] = [("type", "object"), ("properties", .object(properties.map { ($0.key, $0.value) }))]
        if !required.isEmpty { fields.append(("required", .array(required.map { .string($0) }))) }
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
                "lease_id": integer, "prompt_id": integer, "kind": kinds,
                "ranks": .object([("type", "array"), ("items", rank), ("description", "pairwise: 2 entries (equal ranks = tie); ranking: every shown response, ties allowed")]),
                "both_bad": boolean, "ratings": array(rating), "thumbs": array(thumb),
                "rationale": nullable("string"), "rewrite": nullable("string"), "time_spent_ms": integer, "idempotency_key": string,
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
                "criteria": array(string), "responses_per_task": .object([("type", "integer"), ("minimum", 2), ("maximum", 16)]),
                "overlap": .object([("type", "integer"), ("minimum", 1), ("maximum", 50)]), "prioritize_disagreement": boolean,
                "lease_seconds": .object([("type", "integer"), ("minimum", 30), ("maximum", 86400)]),
                "undo_window_seconds": .object([("type", "integer"), ("minimum", 0), ("maximum", 86400)]),
                "retraining": obj(["min_new_labels": integer, "min_interval_seconds": integer,
                                    "objective": .object([("enum", .array(AppSettings.objectives.map { .string($0) }))]), "automatic": boolean,
                                    "promotion": .object([("enum", .array(["automatic", "manual"]))]), "keep_versions": integer,
                                    "threads": integer, "include_ai_labels": boolean]),
                "candidates": obj([
                    "enabled": boolean, "per_prompt": .object([("type", "integer"), ("minimum", 2), ("maximum", 16)]),
                    "buffer_prompts": .object([("type", "integer"), ("minimum", 1), ("maximum", 100000)]),
                    "temperature": number, "top_p": number, "max_new_tokens": .object([("type", "integer"), ("minimum", 1), ("maximum", 4096)]),
                    "poll_seconds": .object([("type", "integer"), ("minimum", 1), ("maximum", 86400)]),
                ]),
                "rlaif": obj([
                    "score_responses": boolean, "show_scores_to_annotators": boolean, "auto_label": boolean,
                    "confidence_threshold": .object([("type", "number"), ("exclusiveMinimum", .number(0.5)), ("exclusiveMaximum", 1)]),
                ]),
                "evaluation": obj([
                    "prompts": .object([("type", "integer"), ("minimum", 1), ("maximum", 100000)]),
                    "samples_per_prompt": .object([("type", "integer"), ("minimum", 1), ("maximum", 256)]),
                    "promotion": obj(["minimum_comparisons": integer, "criterion": .object([("enum", .array(["wilsonLowerBound", "signTest", "both"]))]),
                                      "confidence": number, "alpha": number, "minimum_win_rate": number]),
                ]),
                "guidelines": string,
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
