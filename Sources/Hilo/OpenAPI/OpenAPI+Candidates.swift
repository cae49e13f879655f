// The OpenAPI operations and schemas of fresh candidates and AI pre-labels (HiloApp+Candidates.swift).
import Store

extension OpenAPI {
    static let candidateStatus = obj([
        "running": boolean, "enabled": boolean, "version": nullable("string"), "version_id": nullable("integer"),
        "buffer_prompts": integer, "stocked_prompts": integer, "exhausted_prompts": integer,
        "unlabelled_prompts": .object([("type", "integer"), ("description", "Non-held-out prompts with no label yet (what the buffer draws from; 0: import more prompts)")]),
        "generated_total": integer, "duplicates_skipped": integer, "tokens_total": integer,
        "tokens_per_second": nullable("number"), "responses_per_second": nullable("number"),
        "reward_version": nullable("string"), "scored_total": integer, "ai_labels_total": integer,
        "last_pass_at": nullable("integer"), "error": nullable("string"),
    ])

    static let promptScores = obj([
        "prompt": obj(["id": integer, "text": string]),
        "reward_model": obj(["id": integer, "name": string, "serving": boolean]),
        "responses": array(obj(["id": integer, "text": string, "origin": string, "model_version_id": nullable("integer"),
                                "in_pool": .object([("type", "boolean"), ("description", "Shown to annotators now (imported + the newest generated version's)")]),
                                "score": nullable("number")])),
        "pairs": array(obj(["a": integer, "b": integer, "preferred": integer,
                            "confidence": .object([("type", "number"), ("description", "sigma(|score a - score b|), 0.5 to 1")])])),
        "ai_label": obj(["judgment_id": integer, "chosen": integer, "rejected": integer, "created_at": integer]),
    ])

    static let candidateOperations: [Operation] = [
        Operation(method: "get", path: "/api/v1/candidates/status",
                  summary: "The background candidate generator: serving version, stocked prompts, generated responses, tokens/s, RLAIF counts",
                  access: .admin, ok: (200, "Status", "application/json", candidateStatus)),
        Operation(method: "get", path: "/api/v1/prompts/{id}/scores",
                  summary: "A prompt's responses with reward-model scores and pair confidences (admins only: scores bias annotators)",
                  access: .admin,
                  parameters: [idParam, param("model", in: "query", required: false, .object([("type", "integer"), ("minimum", 1)]), description: "A reward model version id (default: the serving one)")],
                  ok: (200, "Scores", "application/json", promptScores), errors: [404, 422]),
    ]
}
