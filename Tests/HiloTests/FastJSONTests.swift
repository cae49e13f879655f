// The hand-written JSON of the hot replies must be byte for byte what JSONEncoder writes.
import Foundation
import Testing
@testable import Hilo
@testable import Store

@Test func handWrittenJSONOfTasksAndJudgmentsMatchesJSONEncoderByteForByte() throws {
    let tricky = "quote \" backslash \\ newline \n tab \t control \u{01} unicode é 😀 </script>"
    let tasks = [
        NextLeaseDTO(lease: nil),
        NextLeaseDTO(lease: LeaseDTO(id: 7, expiresAt: 1_800_000_000_123, prompt: PromptDTO(id: 3, text: tricky, messages: nil),
                                  responses: [ShownResponse(label: "A", id: 10, text: tricky), ShownResponse(label: "B", id: 9, text: "")],
                                  criteria: ["helpfulness", tricky])),
        NextLeaseDTO(lease: LeaseDTO(id: 1, expiresAt: 0, prompt: PromptDTO(id: 1, text: "x", messages: [Message(role: "user", content: tricky)]),
                                  responses: [], criteria: [])),
    ]
    for t in tasks {
        let fast = API.fast(t)
        guard case .bytes(let data) = fast.body else { Issue.record("not bytes"); continue }
        #expect(String(decoding: data, as: UTF8.self) == String(decoding: try API.encoder.encode(t), as: UTF8.self))
    }
    var full = JudgmentDTO(Judgment(id: 5, annotatorID: 2, promptID: 3, kind: .ranking, origin: .human, bothBad: true, rationale: tricky, rewrite: "r",
                                    timeSpentMs: 1200, leaseID: 4, idempotencyKey: "k", createdAt: 99, undoneAt: 100,
                                    ranks: [ResponseRank(responseID: 1, rank: 1), ResponseRank(responseID: 2, rank: 2)],
                                    ratings: [Rating(responseID: 1, criterion: "honesty", score: 7)], thumbs: [Thumb(responseID: 2, up: false)]))
    for j in [full, { full.rationale = nil; full.rewrite = nil; full.timeSpentMs = nil; full.leaseId = nil; full.undoneAt = nil; return full }()] {
        let out = SubmitOut(judgment: j, undoUntil: 400)
        guard case .bytes(let data) = API.fast(out).body else { Issue.record("not bytes"); continue }
        #expect(String(decoding: data, as: UTF8.self) == String(decoding: try API.encoder.encode(out), as: UTF8.self))
    }
}
