// Hand-written JSON for the two hottest replies (next lease, submit): Foundation's JSONEncoder took a
// fifth of the CPU of a next-lease request. The bytes are exactly what `API.encoder` writes (sorted
// snake_case keys, nil fields left out); a test compares the two.
import Foundation
import HTTP
import Store
import Support

protocol FastJSON: Encodable {
    func write(to w: inout JSONWriter)
}

extension API {
    static func fast<T: FastJSON>(_ value: T, status: HTTPStatus = .ok) -> HTTP.Response {
        var w = JSONWriter()
        w.bytes.reserveCapacity(1024)
        value.write(to: &w)
        return HTTP.Response(status: status, headers: ["Content-Type": "application/json"], body: .bytes(Data(w.bytes)))
    }
}

extension JSONWriter {
    mutating func key(_ k: StaticString, first: Bool = false) {
        if !first { raw(",") }
        raw("\"")
        raw(k)
        raw("\":")
    }
}

extension NextLeaseDTO: FastJSON {
    func write(to w: inout JSONWriter) {
        w.raw("{\"lease\":")
        if let lease { lease.write(to: &w) } else { w.raw("null") }
        w.raw("}")
    }
}

extension LeaseDTO: FastJSON {
    func write(to w: inout JSONWriter) {
        w.raw("{\"criteria\":[")
        for (i, c) in criteria.enumerated() { if i > 0 { w.raw(",") }; w.string(c) }
        w.raw("]")
        w.key("expires_at"); w.int(expiresAt)
        w.key("id"); w.int(id)
        w.key("prompt"); w.raw("{\"id\":"); w.int(prompt.id)
        if let messages = prompt.messages {
            w.raw(",\"messages\":[")
            for (i, m) in messages.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("{\"content\":"); w.string(m.content); w.raw(",\"role\":"); w.string(m.role); w.raw("}")
            }
            w.raw("]")
        }
        w.raw(",\"text\":"); w.string(prompt.text); w.raw("}")
        w.key("responses"); w.raw("[")
        for (i, r) in responses.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"id\":"); w.int(r.id); w.raw(",\"label\":"); w.string(r.label); w.raw(",\"text\":"); w.string(r.text); w.raw("}")
        }
        w.raw("]")
        if let scores {
            w.key("scores"); w.raw("[")
            for (i, s) in scores.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("{\"response_id\":"); w.int(s.responseId); w.raw(",\"score\":"); w.number(s.score); w.raw("}")
            }
            w.raw("]")
        }
        w.raw("}")
    }
}

extension JudgmentDTO: FastJSON {
    func write(to w: inout JSONWriter) {
        w.raw("{\"both_bad\":"); w.raw(bothBad ? "true" : "false")
        w.key("created_at"); w.int(createdAt)
        w.key("id"); w.int(id)
        w.key("kind"); w.string(kind)
        if let leaseId { w.key("lease_id"); w.int(leaseId) }
        w.key("prompt_id"); w.int(promptId)
        w.key("ranks"); w.raw("[")
        for (i, r) in ranks.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"rank\":"); w.int(Int64(r.rank)); w.raw(",\"response_id\":"); w.int(r.responseId); w.raw("}")
        }
        w.raw("]")
        w.key("ratings"); w.raw("[")
        for (i, r) in ratings.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"criterion\":"); w.string(r.criterion); w.raw(",\"response_id\":"); w.int(r.responseId)
            w.raw(",\"score\":"); w.int(Int64(r.score)); w.raw("}")
        }
        w.raw("]")
        if let rationale { w.key("rationale"); w.string(rationale) }
        if let rewrite { w.key("rewrite"); w.string(rewrite) }
        w.key("thumbs"); w.raw("[")
        for (i, t) in thumbs.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"response_id\":"); w.int(t.responseId); w.raw(",\"up\":"); w.raw(t.up ? "true" : "false"); w.raw("}")
        }
        w.raw("]")
        if let timeSpentMs { w.key("time_spent_ms"); w.int(timeSpentMs) }
        if let undoneAt { w.key("undone_at"); w.int(undoneAt) }
        w.raw("}")
    }
}

extension SubmitOut: FastJSON {
    func write(to w: inout JSONWriter) {
        w.raw("{\"judgment\":")
        judgment.write(to: &w)
        w.key("undo_until"); w.int(undoUntil)
        w.raw("}")
    }
}
