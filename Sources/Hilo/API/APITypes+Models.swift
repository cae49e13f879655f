// The JSON shapes of the model routes (HiloApp+Training.swift): a version with its lineage, state and
// origin, and one entry of the promotion history (the audit trail of who or what changed the serving
// version, when and why).
import Foundation
import Store

struct ModelsOut: Encodable { var models: [ModelDTO]; var promotions: [PromotionDTO] }

/// One change of a serving version for the audit trail: what serves, what it replaced, who or what did
/// it (an admin's name, or the trigger: automatic, bootstrap), when and why.
struct PromotionDTO: Encodable {
    var id: Int64, modelId: Int64, model: String?, kind: String, previousId: Int64?, previous: String?
    var trigger: String, annotatorId: Int64?, by: String, reason: String, createdAt: Int64
    init(_ p: ModelPromotion, names: [Int64: String], by admin: String?) {
        id = p.id; modelId = p.modelID; model = names[p.modelID]; kind = p.kind.rawValue; previousId = p.previousID
        previous = p.previousID.flatMap { names[$0] }; trigger = p.trigger.rawValue; annotatorId = p.annotatorID
        by = admin ?? (p.trigger == .automatic ? "automatic promotion rule" : p.trigger == .bootstrap ? "hilo serve" : "an admin")
        reason = p.reason; createdAt = p.createdAt
    }
}

struct ModelDTO: Encodable {
    var m: ModelVersionRecord, parentName: String?, state: String
    /// `history` (the promotions, oldest first) decides the state of a version that does not serve now.
    init(_ m: ModelVersionRecord, parentName: String?, history: [ModelPromotion] = []) {
        self.m = m; self.parentName = parentName; state = Self.state(m, history)
    }
    /// serving, reference (the fixed KL anchor, never what annotators see), candidate (never served),
    /// rolled back (a rollback replaced it), replaced (a later promotion did), or pruned.
    static func state(_ m: ModelVersionRecord, _ history: [ModelPromotion]) -> String {
        if m.pruned { return "pruned" }
        if m.kind == .reference { return m.serving ? "reference" : "former reference" }
        if m.serving { return "serving" }
        guard let out = history.last(where: { $0.previousID == m.id && $0.kind == m.kind }),
              history.contains(where: { $0.modelID == m.id }) else { return "candidate" }
        return out.trigger == .rollback ? "rolled back" : "replaced"
    }
    /// Where the version came from, in words (no build paths): the embedded starter, a run, or a folder.
    var origin: String {
        let t = (try? JSONValue.parse(m.version.metrics)) ?? .object([])
        guard case let .object(fields) = t else { return "" }
        let value = { (k: String) -> String? in if case let .string(s)? = fields.first(where: { $0.0 == k })?.1 { return s }; return nil }
        if let origin = value("origin"), origin != "added" { return origin }
        if let source = value("source") {
            if source.contains(StarterModel.bundleName) { return "embedded starter" }
            return "\(value("origin") == "added" ? "added" : "registered") from \(URL(fileURLWithPath: source).lastPathComponent)"
        }
        if let run = m.runID { return "trained in run \(run)" }
        return ""
    }
    enum Keys: String, CodingKey { case id, name, kind, parentId, parent, runId, labelsUsed, createdAt, serving, state, origin, pruned, prunedAt, metrics }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(m.id, forKey: .id); try c.encode(m.name, forKey: .name); try c.encode(m.kind.rawValue, forKey: .kind)
        try c.encode(m.version.parentID, forKey: .parentId); try c.encode(parentName, forKey: .parent); try c.encode(m.runID, forKey: .runId)
        try c.encode(m.labelsUsed, forKey: .labelsUsed); try c.encode(m.version.createdAt, forKey: .createdAt)
        try c.encode(m.serving, forKey: .serving); try c.encode(state, forKey: .state); try c.encode(origin, forKey: .origin)
        try c.encode(m.pruned, forKey: .pruned); try c.encode(m.prunedAt, forKey: .prunedAt)
        try c.encode(RawJSON(text: m.version.metrics), forKey: .metrics)
    }
}
