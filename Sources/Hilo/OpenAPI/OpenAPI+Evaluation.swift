// The OpenAPI operations of the evaluation routes (HiloApp+Evaluations.swift): campaigns, results,
// the leaderboard, and the annotator's blind comparisons. Schemas are inline so this file stands alone.
import Foundation
import Store

extension OpenAPI {
    static let mean = obj(["mean": number, "lower": number, "upper": number, "standard_deviation": number, "count": integer, "confidence": number])
    static let sideBySide = obj([
        "viewpoint": .object([("enum", .array(["a", "b"]))]), "wins": integer, "ties": integer, "losses": integer, "total": integer,
        "win_rate": nullable("number"), "win_rate_lower": number, "win_rate_upper": number,
        "decisive_win_rate": nullable("number"), "decisive_win_rate_lower": number, "decisive_win_rate_upper": number,
        "sign_test_p_value": number, "confidence": number,
    ])
    static let measures = obj([
        "prompts": integer, "reward_model": nullable("string"), "reward_win_rate": sideBySide,
        "mean_reward_a": mean, "mean_reward_b": mean, "reference_model": nullable("string"), "kl_a": mean, "kl_b": mean,
    ])
    static let campaign = obj([
        "id": integer, "name": string, "model_a": string, "model_b": string, "model_a_id": integer, "model_b_id": integer,
        "status": .object([("enum", .array(["preparing", "open", "closed", "failed"]))]),
        "total": integer, "judged": integer, "wins_a": integer, "wins_b": integer, "ties": integer, "selection": string,
        "sampling": obj(["temperature": number, "top_p": number, "top_k": integer, "max_new_tokens": integer, "greedy": boolean]),
        "created_at": integer, "prepared_at": nullable("integer"), "error": nullable("string"),
    ])
    static let blind = obj([
        "id": integer, "prompt": obj(["text": string, "messages": messages]), "left": obj(["text": string]), "right": obj(["text": string]),
        "lease_expires_at": integer,
    ])

    static let evaluationOperations: [Operation] = [
        Operation(method: "get", path: "/api/v1/evaluations", summary: "Evaluation campaigns, newest first, with progress and tallies", access: .admin,
                  ok: (200, "Campaigns", "application/json", obj(["campaigns": array(campaign)]))),
        Operation(method: "post", path: "/api/v1/evaluations", summary: "Create a blind campaign between two policy versions (A baseline, B challenger); prepared in the background", access: .admin,
                  body: ("application/json", obj([
                      "name": string, "model_a": string, "model_b": string, "model_a_id": id, "model_b_id": id,
                      "prompts": .object([("type", "integer"), ("minimum", 1), ("description", "At most this many prompts (default settings.evaluation.prompts)")]),
                      "tag": .object([("type", "string"), ("description", "Prompts with this tag instead of the held-out ones")]),
                      "prompt_ids": array(id), "seed": integer,
                      "sampling": obj(["temperature": number, "top_p": number, "top_k": integer, "max_new_tokens": integer, "greedy": boolean]),
                  ], oneOf: [["model_a", "model_a_id"], ["model_b", "model_b_id"]])),
                  ok: (201, "Created (status preparing)", "application/json", obj(["campaign": campaign])), errors: [400, 404, 415, 422]),
        Operation(method: "get", path: "/api/v1/evaluations/next", summary: "The next blind comparison for you (leased): a prompt and two texts as left and right, never who wrote them", access: .annotator,
                  parameters: [param("peek", in: "query", required: false, boolean, description: "Only count what is available ({\"available\": n}); leases nothing")],
                  ok: (200, "A comparison, or comparison: null when none is left", "application/json",
                       obj(["comparison": .object([("oneOf", .array([blind, .object([("type", "null")])]))])]))),
        Operation(method: "get", path: "/api/v1/evaluations/{id}", summary: "A campaign's result: B's wins, ties and losses with Wilson 95% intervals, sign-test p, automatic measures, progress", access: .admin,
                  parameters: [idParam],
                  ok: (200, "The result", "application/json", obj(["campaign": campaign, "result": sideBySide, "automatic": measures, "progress": number])),
                  errors: [404]),
        Operation(method: "post", path: "/api/v1/evaluations/{id}/close", summary: "Close a campaign: no more comparisons are handed out or judged", access: .admin,
                  parameters: [idParam], ok: (200, "Closed (closing again changes nothing)", "application/json", obj(["campaign": campaign])), errors: [404]),
        Operation(method: "post", path: "/api/v1/evaluations/comparisons/{id}", summary: "Judge a blind comparison: left, right or tie as shown (idempotent for the same choice)", access: .annotator,
                  parameters: [idParam],
                  body: ("application/json", obj(["choice": .object([("enum", .array(["left", "right", "tie"]))])], required: ["choice"])),
                  ok: (201, "Stored (200 with Idempotent-Replayed: true when repeated)", "application/json",
                       obj(["comparison": obj(["id": integer, "choice": string])])),
                  errors: [400, 404, 409, 415, 422]),
        Operation(method: "get", path: "/api/v1/leaderboard", summary: "All policy versions fitted by Bradley–Terry over every judged comparison, 95% bootstrap intervals, automatic measures", access: .admin,
                  ok: (200, "The board, best first", "application/json", obj([
                      "entries": array(obj(["id": integer, "name": string, "kind": string, "serving": boolean, "rank": integer, "score": number,
                                            "lower": number, "upper": number, "wins": integer, "losses": integer, "ties": integer,
                                            "comparisons": integer, "mean_reward": mean, "kl": mean, "measured_in": nullable("integer")])),
                      "comparisons": integer, "confidence": number, "resamples": integer,
                  ]))),
    ]
}
