// The OpenAPI 3.1 document served at /api/v1/openapi.json, written as a Swift value: one `Operation`
// per route (a test checks that this list and the route table match exactly), plus the schemas in
// OpenAPI+Schemas.swift. Paths use OpenAPI's `{id}` where the route table has `:id`.
import Foundation
import Store

enum OpenAPI {
    struct Operation {
        var method: String
        var path: String
        var summary: String
        var access: Access
        var parameters: [JSONValue] = []
        var body: (contentType: String, schema: JSONValue)? = nil
        var ok: (status: Int, description: String, contentType: String, schema: JSONValue?) = (200, "OK", "application/json", nil)
        var errors: [Int] = []
    }

    static let idParam = param("id", in: "path", required: true, .object([("type", "integer"), ("minimum", 1)]))
    static let keyHeader = param("Idempotency-Key", in: "header", required: true, .object([("type", "string"), ("minLength", 1), ("maxLength", 200), ("pattern", "\\S")]),
                                 description: "Makes a retried submit safe: the same key replays the first result. A client that cannot set headers may send an idempotency_key field in the body instead.")

    static let operations: [Operation] = [
        Operation(method: "get", path: "/healthz", summary: "Liveness check", access: .public, ok: (200, "Healthy", "application/json", obj(["status": string]))),
        Operation(method: "get", path: "/metrics", summary: "Prometheus metrics (text format 0.0.4)", access: .public,
                  ok: (200, "Metrics", "text/plain", string)),
        Operation(method: "get", path: "/api/v1/openapi.json", summary: "This document", access: .public, ok: (200, "OpenAPI 3.1", "application/json", .object([("type", "object")]))),
        Operation(method: "get", path: "/login", summary: "Sign in with a login link; sets the session cookie and redirects to the UI", access: .public,
                  parameters: [param("token", in: "query", required: true, nonEmpty)],
                  ok: (303, "Signed in; Set-Cookie carries the session", "application/json", nil), errors: [400, 401, 429]),
        Operation(method: "post", path: "/login", summary: "Sign in with a token (JSON answers with the annotator; a form post redirects)", access: .public,
                  body: ("application/json", obj(["token": nonEmpty], required: ["token"])), ok: (200, "Signed in", "application/json", ref("Me")),
                  errors: [400, 401, 403, 415, 422, 429]),
        Operation(method: "post", path: "/api/v1/logout", summary: "End this session", access: .annotator, ok: (200, "Signed out", "application/json", obj(["ok": boolean]))),
        Operation(method: "get", path: "/api/v1/me", summary: "Who is signed in", access: .annotator, ok: (200, "The annotator", "application/json", ref("Me"))),
        Operation(method: "get", path: "/api/v1/leases/next", summary: "The next lease: a prompt with 2..K shuffled responses, held for you until it expires", access: .annotator,
                  ok: (200, "A lease, or lease: null when nothing is left", "application/json", obj(["lease": .object([("oneOf", .array([ref("Lease"), .object([("type", "null")])]))])]))),
        Operation(method: "post", path: "/api/v1/leases/{id}/skip", summary: "Skip a lease (its prompt is never offered to you again)", access: .annotator,
                  parameters: [idParam], ok: (200, "Skipped", "application/json", obj(["judgment": ref("Judgment")])), errors: [404, 409]),
        Operation(method: "post", path: "/api/v1/judgments", summary: "Submit a judgment; needs an idempotency key: the Idempotency-Key header or the idempotency_key field (422 without)", access: .annotator,
                  parameters: [keyHeader], body: ("application/json", ref("SubmitJudgment")),
                  ok: (201, "Stored (or replayed: header Idempotent-Replayed: true)", "application/json", ref("SubmitResult")),
                  errors: [400, 404, 409, 415, 422]),
        Operation(method: "post", path: "/api/v1/judgments/{id}/undo", summary: "Undo one of your judgments within the undo window", access: .annotator,
                  parameters: [idParam], ok: (200, "Undone (again: unchanged)", "application/json", obj(["judgment": ref("Judgment")])), errors: [404, 409]),
        Operation(method: "post", path: "/api/v1/responses/{id}/thumb", summary: "Thumbs up or down on a response (a feedback judgment); needs an idempotency key: the Idempotency-Key header or the idempotency_key field (422 without)", access: .annotator,
                  parameters: [idParam, keyHeader], body: ("application/json", obj(["up": boolean], required: ["up"])),
                  ok: (201, "Stored", "application/json", ref("SubmitResult")), errors: [404, 415, 422]),
        Operation(method: "get", path: "/api/v1/me/progress", summary: "Done today, done in total, skipped, left in the queue", access: .annotator,
                  ok: (200, "Progress", "application/json", ref("Progress"))),
        Operation(method: "get", path: "/api/v1/me/judgments", summary: "Your own most recent judgments (never anyone else's)", access: .annotator,
                  parameters: [param("limit", in: "query", required: false, .object([("type", "integer"), ("minimum", 1), ("maximum", 200)]))],
                  ok: (200, "Newest first", "application/json", obj(["judgments": array(ref("Judgment"))]))),
        Operation(method: "get", path: "/api/v1/guidelines", summary: "Guidelines text and rating criteria", access: .annotator,
                  ok: (200, "Guidelines", "application/json", obj(["guidelines": string, "criteria": array(string), "undo_window_seconds": integer]))),
        Operation(method: "get", path: "/api/v1/annotators", summary: "List annotators with label counts", access: .admin,
                  ok: (200, "Annotators", "application/json", obj(["annotators": array(ref("Annotator"))]))),
        Operation(method: "post", path: "/api/v1/annotators", summary: "Create an annotator; the login link is shown only in this reply", access: .admin,
                  body: ("application/json", obj(["name": name, "role": .object([("enum", .array(["annotator", "admin", .null]))])], required: ["name"])),
                  ok: (201, "Created", "application/json", ref("LoginLink")), errors: [400, 409, 415, 422]),
        Operation(method: "post", path: "/api/v1/annotators/{id}/disable", summary: "Disable an annotator and end their sessions (labels stay)", access: .admin,
                  parameters: [idParam], ok: (200, "Disabled", "application/json", obj(["annotator": ref("Annotator")])), errors: [404, 409]),
        Operation(method: "post", path: "/api/v1/annotators/{id}/enable", summary: "Enable an annotator again", access: .admin,
                  parameters: [idParam], ok: (200, "Enabled", "application/json", obj(["annotator": ref("Annotator")])), errors: [404]),
        Operation(method: "post", path: "/api/v1/annotators/{id}/login-link", summary: "Issue a new login link (the old one stops working)", access: .admin,
                  parameters: [idParam], ok: (200, "New link", "application/json", ref("LoginLink")), errors: [404, 409]),
        Operation(method: "get", path: "/api/v1/settings", summary: "Current settings", access: .admin, ok: (200, "Settings", "application/json", ref("Settings"))),
        Operation(method: "put", path: "/api/v1/settings", summary: "Change settings (only the fields given; validated)", access: .admin,
                  body: ("application/json", ref("Settings")), ok: (200, "The settings now", "application/json", ref("Settings")), errors: [400, 415, 422]),
        Operation(method: "get", path: "/api/v1/stats", summary: "Labels per day, per-annotator throughput, agreement (percent, Krippendorff's alpha), queue coverage", access: .admin,
                  parameters: [param("days", in: "query", required: false, .object([("type", "integer"), ("minimum", 1), ("maximum", 366)]))],
                  ok: (200, "Statistics", "application/json", ref("Stats"))),
        Operation(method: "post", path: "/api/v1/import", summary: "Import a JSONL or CSV upload with the store's importer", access: .admin,
                  parameters: [param("format", in: "query", required: true, .object([("enum", .array(ImportFormat.allCases.map { .string($0.rawValue) }))])),
                               param("type", in: "query", required: false, .object([("enum", .array(["jsonl", "csv"]))])),
                               param("strict", in: "query", required: false, boolean)],
                  body: ("application/x-ndjson", string), ok: (200, "Counts and skipped lines", "application/json", ref("ImportResult")),
                  errors: [413, 415, 422]),
        Operation(method: "get", path: "/api/v1/export", summary: "Download a dataset (JSONL, streamed)", access: .admin,
                  parameters: [param("format", in: "query", required: true, .object([("enum", .array(ExportFormat.allCases.map { .string($0.rawValue) }))])),
                               param("conversational", in: "query", required: false, boolean),
                               param("implicit_prompt", in: "query", required: false, boolean),
                               param("include_ai", in: "query", required: false, boolean),
                               param("aggregate", in: "query", required: false, boolean),
                               param("since", in: "query", required: false, integer, description: "Unix milliseconds"),
                               param("annotator", in: "query", required: false, string, description: "Repeat for several"),
                               param("min_agreement", in: "query", required: false, .object([("type", "number"), ("minimum", 0), ("maximum", 1)])),
                               param("min_votes", in: "query", required: false, .object([("type", "integer"), ("minimum", 1)])),
                               param("test_fraction", in: "query", required: false, .object([("type", "number"), ("minimum", 0), ("exclusiveMaximum", 1)]),
                                     description: "Share of prompts in the test split, [0, 1)"),
                               param("seed", in: "query", required: false, .object([("type", "integer"), ("minimum", 0)]), description: "Seed of the split"),
                               param("split", in: "query", required: false, .object([("enum", .array(["train", "test"]))]))],
                  ok: (200, "One JSON object per line", "application/x-ndjson", string), errors: [422]),
    ] + trainingOperations + candidateOperations + evaluationOperations

    static var document: JSONValue {
        var paths: [(String, JSONValue)] = []
        for op in operations {
            var fields: [(String, JSONValue)] = [("summary", .string(op.summary)), ("operationId", .string(operationID(op)))]
            fields.append(("security", op.access == .public ? .array([]) : .array([.object([("session", .array([]))]), .object([("bearer", .array([]))])])))
            fields.append(("x-hilo-access", .string(op.access.rawValue)))
            if !op.parameters.isEmpty { fields.append(("parameters", .array(op.parameters))) }
            // A query parameter the schema does not allow is refused with 422 (QueryParameters+Typed).
            let hasQuery = op.parameters.contains { if case let .object(f) = $0 { f.contains { $0.0 == "in" && $0.1 == "query" } } else { false } }
            if let body = op.body {
                fields.append(("requestBody", .object([("required", .bool(true)),
                                                       ("content", .object([(body.contentType, .object([("schema", closed(body.schema))]))]))])))
            }
            var responses: [(String, JSONValue)] = []
            var okFields: [(String, JSONValue)] = [("description", .string(op.ok.description))]
            if let schema = op.ok.schema { okFields.append(("content", .object([(op.ok.contentType, .object([("schema", schema)]))]))) }
            responses.append((String(op.ok.status), .object(okFields)))
            var codes = op.errors
            if hasQuery { codes.append(422) }
            // A body may be malformed (400), of another media type (415) or carry wrong values (422).
            if op.body != nil { codes += [400, 415, 422] }
            if op.access != .public { codes.append(401) }
            if op.access == .admin { codes.append(403) }
            if op.method != "get", !codes.contains(403) { codes.append(403) }
            for code in Set(codes).sorted() {
                responses.append((String(code), .object([("$ref", .string("#/components/responses/Error\(code)"))])))
            }
            fields.append(("responses", .object(responses)))
            if let i = paths.firstIndex(where: { $0.0 == op.path }), case let .object(existing) = paths[i].1 {
                paths[i].1 = .object(existing + [(op.method, .object(fields))])
            } else {
                paths.append((op.path, .object([(op.method, .object(fields))])))
            }
        }
        return .object([
            ("openapi", "3.1.0"),
            ("info", .object([("title", "Hilo API"), ("version", "1"),
                              ("description", "Annotation, labels and administration for a Hilo server. Sign in with a login link (cookie session) or send Authorization: Bearer <login token>. State-changing requests with a cookie need an Origin (or Referer) header naming this server.")])),
            ("paths", .object(paths)),
            ("components", components),
        ])
    }

    static let documentData = Data(document.serialized.utf8)

    static func operationID(_ op: Operation) -> String {
        let words = op.path.split(whereSeparator: { "/{}.-_".contains($0) }).filter { $0 != "api" && $0 != "v1" }
        return op.method + words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
