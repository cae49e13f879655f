// The OpenAPI operations of the training loop's routes (HiloApp+Training.swift): training runs, the
// loop's status and model versions. Schemas are inline so this file stands alone.
import Foundation
import Store

extension OpenAPI {
    static let trainingRun = obj([
        "id": integer, "kind": .object([("enum", .array(TrainingKind.allCases.map { .string($0.rawValue) }))]),
        "status": .object([("enum", .array(RunStatus.allCases.map { .string($0.rawValue) }))]),
        "trigger": .object([("enum", .array(["threshold", "admin"]))]), "requested_by": nullable("integer"),
        "phase": nullable("string"), "step": integer, "total_steps": integer, "labels_used": integer, "label_watermark": integer,
        "error": nullable("string"), "created_at": integer, "started_at": nullable("integer"), "finished_at": nullable("integer"),
        "base_model_id": nullable("integer"), "output_model_id": nullable("integer"),
    ])
    static let metricRow = obj(["step": integer, "name": string, "value": number])
    static let logRow = obj(["seq": integer, "level": .object([("enum", .array(["info", "warning", "error"]))]), "message": string, "created_at": integer])
    static let modelVersion = obj([
        "id": integer, "name": string, "kind": .object([("enum", .array(ModelKind.allCases.map { .string($0.rawValue) }))]),
        "parent_id": nullable("integer"), "parent": nullable("string"), "run_id": nullable("integer"), "labels_used": integer,
        "created_at": integer, "serving": boolean, "pruned": boolean, "pruned_at": nullable("integer"),
        "state": .object([("enum", .array(["serving", "reference", "former reference", "candidate", "rolled back", "replaced", "pruned"])),
                          ("description", "serving; reference (the fixed KL anchor, never shown to annotators); candidate (never served); rolled back or replaced (served before); pruned")]),
        "origin": .object([("type", "string"), ("description", "Where it came from: embedded starter, trained in run N, registered or added from a folder")]),
        "metrics": .object([("type", "object"), ("description", "Training metrics (training, training_mean, eval), steps, seconds, the promotion decision")]),
    ])

    static let promotion = obj([
        "id": integer, "model_id": integer, "model": nullable("string"), "kind": .object([("enum", .array(ModelKind.allCases.map { .string($0.rawValue) }))]),
        "previous_id": nullable("integer"), "previous": nullable("string"),
        "trigger": .object([("enum", .array(["admin", "automatic", "rollback", "bootstrap"]))]), "annotator_id": nullable("integer"),
        "by": .object([("type", "string"), ("description", "The admin's name, or what did it: automatic promotion rule, hilo serve")]),
        "reason": string, "created_at": integer,
    ])
    static let adminReason: JSONValue = .object([("type", "string"), ("maxLength", 500), ("description", "Why, for the promotion history")])

    static let trainingOperations: [Operation] = [
        Operation(method: "get", path: "/api/v1/training/runs", summary: "Training runs, newest first", access: .admin,
                  parameters: [param("limit", in: "query", required: false, .object([("type", "integer"), ("minimum", 1), ("maximum", 500)]))],
                  ok: (200, "Runs", "application/json", obj(["runs": array(trainingRun)]))),
        Operation(method: "post", path: "/api/v1/training/runs", summary: "Retrain now (refresh the reward model, update the policy)", access: .admin,
                  ok: (201, "Queued", "application/json", obj(["run": trainingRun])), errors: [409, 503]),
        Operation(method: "get", path: "/api/v1/training/runs/{id}", summary: "A run with its metrics, log and configuration", access: .admin,
                  parameters: [idParam], ok: (200, "The run (its fields plus metrics, log, config)", "application/json",
                                              .object([("allOf", .array([trainingRun, obj(["metrics": array(metricRow), "log": array(logRow),
                                                                                           "config": .object([("type", "object")])])]))])),
                  errors: [404]),
        Operation(method: "post", path: "/api/v1/training/runs/{id}/cancel", summary: "Cancel a queued or running run (no version is written)", access: .admin,
                  parameters: [idParam], ok: (200, "Cancelled, or stopping at its next step", "application/json", obj(["run": trainingRun])),
                  errors: [404, 409, 503]),
        Operation(method: "get", path: "/api/v1/training/runs/{id}/events", summary: "Server-Sent Events: progress, metric and log as they happen, done at the end", access: .admin,
                  parameters: [idParam], ok: (200, "An event stream (event: progress | metric | log | done; data: JSON)", "text/event-stream", string),
                  errors: [404]),
        Operation(method: "get", path: "/api/v1/training/status", summary: "The loop's state, new labels since the last run and the threshold", access: .admin,
                  ok: (200, "Status", "application/json", obj([
                      "state": .object([("enum", .array(["idle", "queued", "running"]))]), "run_id": nullable("integer"), "phase": nullable("string"),
                      "step": nullable("integer"), "total_steps": nullable("integer"), "new_labels": integer, "threshold": integer,
                      "automatic": boolean, "objective": string, "promotion": string, "next_threshold_run_at": nullable("integer"),
                      "serving_policy": nullable("string"), "serving_reward": nullable("string"),
                  ]))),
        Operation(method: "get", path: "/api/v1/models", summary: "Model versions with lineage and state, newest first, and the promotion history (the audit trail), newest first", access: .admin,
                  ok: (200, "Versions and promotions", "application/json", obj(["models": array(modelVersion), "promotions": array(promotion)]))),
        Operation(method: "post", path: "/api/v1/models/{id}/promote", summary: "Make a version serve (recorded in the promotion history)", access: .admin,
                  parameters: [idParam], body: ("application/json", obj(["reason": adminReason])),
                  ok: (200, "Serving", "application/json", obj(["model": modelVersion])), errors: [400, 404, 409, 415, 422, 503]),
        Operation(method: "post", path: "/api/v1/models/rollback", summary: "Serve again the version that served before the current one", access: .admin,
                  body: ("application/json", obj(["kind": .object([("enum", .array(["policy", "reward"]))]), "reason": adminReason])),
                  ok: (200, "The version serving now", "application/json", obj(["model": modelVersion])), errors: [400, 409, 415, 422, 503]),
    ]
}
