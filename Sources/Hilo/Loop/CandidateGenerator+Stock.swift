// The candidate generator's restocking: which prompts form the buffer, sampling them with the
// serving policy, and writing the responses (one transaction per batch, duplicates skipped).
import Engine
import Foundation
import Store

extension CandidateGenerator {
    /// A prompt of the buffer: its id, the text the policy continues, and how many of the serving
    /// version's responses it has.
    struct BufferPrompt: Equatable {
        var id: Int64
        var text: String
        var have: Int
        /// An annotator holds an unexpired lease on it: leave its responses alone for now.
        var leased: Bool
    }

    /// The buffer (CandidateRepository.buffer), each text as the policy continues it: a
    /// conversation's text ends with the user's turn, so the policy continues after "Assistant:".
    static func buffer(_ c: Connection, versionID: Int64, size: Int, skip: Set<Int64>, from start: Int64, now: Int64) throws -> [BufferPrompt] {
        try CandidateRepository(c).buffer(versionID: versionID, size: size, skip: skip, from: start, now: now).map {
            BufferPrompt(id: $0.id, text: $0.isConversation ? $0.text + ChatTemplate.assistantMarker : $0.text, have: $0.have, leased: $0.leased)
        }
    }

    /// The JSON stored in `responses.sampling`: PolicySampler.Settings, the batch's seed and the model.
    static func samplingJSON(_ settings: PolicySampler.Settings, seed: UInt64, model: String) -> String {
        var fields: [(String, JSONValue)] = [("greedy", .bool(settings.greedy)), ("max_new_tokens", .number(Double(settings.maxNewTokens))),
                                             ("model", .string(model)), ("seed", .number(Double(seed))),
                                             ("temperature", .number(settings.temperature))]
        if let k = settings.topK { fields.append(("top_k", .number(Double(k)))) }
        if let p = settings.topP { fields.append(("top_p", .number(p))) }
        return JSONValue.object(fields).serialized
    }

    func restock(_ settings: AppSettings, _ report: inout PassReport) throws {
        let cs = settings.candidates
        guard let serving = try db.read({ try ModelRepository($0).serving(.policy) }) else {
            board.update { $0.version = nil; $0.versionId = nil; $0.stockedPrompts = 0 }
            return
        }
        if state.policy?.id != serving.id {
            state.policy = nil // free the old weights before loading the new ones
            state.policy = (serving.id, try PolicySampler(folder: URL(fileURLWithPath: serving.path)))
        }
        if state.versionID != serving.id {
            state.versionID = serving.id; state.done = []; state.tries = [:]; state.exhausted = []
        }
        let sampler = state.policy!.sampler
        let sampling = PolicySampler.Settings(temperature: cs.temperature, topP: cs.topP >= 1 ? nil : cs.topP, maxNewTokens: cs.maxNewTokens)
        let origin = "model:" + serving.name
        board.update { $0.version = serving.name; $0.versionId = serving.id }

        // Prompts skipped for this pass only (an annotator holds them now).
        var deferred: Set<Int64> = []
        while !isStopping {
            let now = clock()
            let window = try db.read { try Self.buffer($0, versionID: serving.id, size: cs.bufferPrompts,
                                                       skip: state.exhausted.union(deferred), from: 0, now: now) }
            let stocked = window.filter { $0.have >= 2 }.count
            board.update { $0.stockedPrompts = stocked; $0.exhaustedPrompts = self.state.exhausted.count }
            let todo = window.filter { $0.have < cs.perPrompt && !$0.leased && !state.done.contains($0.id) }
            if todo.isEmpty { break }
            // Still serving? A promotion mid-pass ends it; the next pass restocks for the new version.
            guard try db.read({ try ModelRepository($0).serving(.policy)?.id }) == serving.id else { break }
            let batch = Array(todo.prefix(max(1, config.batchPrompts)))
            deferred.formUnion(try generate(batch, sampler: sampler, sampling: sampling, versionID: serving.id, origin: origin,
                                            perPrompt: cs.perPrompt, report: &report))
        }
        let (final, unlabelled) = try db.read { c in
            (try Self.buffer(c, versionID: serving.id, size: cs.bufferPrompts, skip: state.exhausted, from: 0, now: clock()),
             try CandidateRepository(c).unlabelledCount())
        }
        board.update {
            $0.stockedPrompts = final.filter { $0.have >= 2 }.count; $0.exhaustedPrompts = self.state.exhausted.count
            $0.unlabelledPrompts = unlabelled
        }
    }

    /// Samples the missing responses of `batch` (grouped by how many each lacks) and writes them in
    /// one transaction; updates the per-prompt bookkeeping. Returns the prompts it had to leave alone
    /// because an annotator holds them or labelled them meanwhile.
    func generate(_ batch: [BufferPrompt], sampler: PolicySampler, sampling: PolicySampler.Settings, versionID: Int64,
                  origin: String, perPrompt: Int, report: inout PassReport) throws -> Set<Int64> {
        let seed = state.rng.next() >> 11 // 53 bits: exact as a JSON number
        var rng = SeededRNG(seed: seed)
        let json = Self.samplingJSON(sampling, seed: seed, model: String(origin.dropFirst("model:".count)))
        let started = DispatchTime.now().uptimeNanoseconds
        var texts: [Int64: [String]] = [:]
        var tokens = 0
        for (need, group) in Dictionary(grouping: batch, by: { perPrompt - $0.have }).sorted(by: { $0.key < $1.key }) {
            let samples = try sampler.sample(prompts: group.map(\.text), perPrompt: need, settings: sampling, rng: &rng)
            for (p, list) in zip(group, samples) {
                texts[p.id] = list.map(\.text)
                tokens += list.reduce(0) { $0 + $1.tokenCount }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let now = clock()
        let ids = batch.map(\.id)
        // One transaction for the batch. A prompt that got a counted label or an open lease while we
        // sampled is left as it is: an annotator may be looking at its responses right now.
        let (inserted, skipped, counts): (Int, Int, [Int64: Int]) = try db.write { c in
            var inserted = 0, skipped = 0
            var counts: [Int64: Int] = [:]
            let stock = CandidateRepository(c)
            for id in ids {
                guard let r = try stock.stock(promptID: id, texts: texts[id] ?? [], origin: origin, versionID: versionID,
                                              sampling: json, now: now) else { continue }
                inserted += r.inserted; skipped += r.skipped
                counts[id] = r.have
            }
            return (inserted, skipped, counts)
        }
        var left: Set<Int64> = []
        for id in ids {
            guard let n = counts[id] else { left.insert(id); continue } // labelled, leased or gone meanwhile
            state.tries[id, default: 0] += 1
            if n >= 2 { state.done.insert(id) }
            else if state.tries[id, default: 0] >= config.maxTries { state.done.insert(id); state.exhausted.insert(id) }
        }
        report.generated += inserted; report.duplicates += skipped; report.tokens += tokens
        board.update {
            $0.generatedTotal += inserted; $0.duplicatesSkipped += skipped; $0.tokensTotal += tokens
            if seconds > 0 { $0.tokensPerSecond = Double(tokens) / seconds; $0.responsesPerSecond = Double(inserted + skipped) / seconds }
        }
        return left
    }
}
