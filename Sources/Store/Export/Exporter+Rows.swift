// The row writers of each export format. Texts are copied from SQLite into reused byte buffers
// and escaped straight into the output buffer: no per-row Strings on the hot path.
import Foundation
import Support
extension Exporter {
    /// The current row's prompt: text, the stored messages JSON (empty for plain prompts), hash.
    struct PromptBytes {
        var text: [UInt8] = []
        var messages: [UInt8] = []
        var hash: [UInt8] = []
        var isConversation: Bool { !messages.isEmpty }

        mutating func load(_ s: Statement, text t: Int32, messages m: Int32, hash h: Int32) {
            s.copyUTF8(t, into: &text)
            if s.isNull(m) { messages.removeAll(keepingCapacity: true); adoptTranscript() } else { s.copyUTF8(m, into: &messages) }
            hash = s.blob(h)
        }

        /// A plain prompt stored as an open HH transcript ("\n\nHuman: …\n\nAssistant:", as the demo's
        /// and sampled prompts are) is a conversation already: it takes the turns it spells, so every
        /// format writes it once (HH text as stored, messages as turns) instead of wrapping it again.
        /// Only a transcript that its turns spell back exactly is taken; anything else stays plain text.
        private mutating func adoptTranscript() {
            let human = Array(Conversation.humanMarker.utf8), assistant = Array(Conversation.assistantMarker.utf8)
            guard text.starts(with: human), text.count > assistant.count, text.suffix(assistant.count).elementsEqual(assistant),
                  var turns = Conversation.parseHH(String(decoding: text, as: UTF8.self)),
                  turns.last?.role == "assistant", turns.last?.content.isEmpty == true else { return }
            turns.removeLast()
            let spelled = Array(Conversation.hhText(turns).utf8)
            guard spelled.count + assistant.count == text.count, text.starts(with: spelled) else { return }
            var w = JSONWriter()
            w.raw("[")
            for (i, turn) in turns.enumerated() {
                w.raw(i == 0 ? "{\"role\":" : ",{\"role\":"); w.string(turn.role)
                w.raw(",\"content\":"); w.string(turn.content); w.raw("}")
            }
            w.raw("]")
            messages = w.bytes
            text = spelled
        }

        /// The prompt as one string: plain text, or the HH transcript ending in "\n\nAssistant:".
        func writeString(_ w: inout JSONWriter) {
            w.raw("\""); w.stringContent(text)
            if isConversation { w.raw("\\n\\nAssistant:") }
            w.raw("\"")
        }

        /// The prompt as messages: the stored list, or one user turn.
        func writeMessages(_ w: inout JSONWriter, closed: Bool = true) {
            if isConversation {
                w.bytes.append(contentsOf: closed ? messages : messages.dropLast())
            } else {
                w.raw("[{\"role\":\"user\",\"content\":"); w.string(bytes: text); w.raw("}")
                if closed { w.raw("]") }
            }
        }

        /// The HH transcript up to the assistant's turn: "\n\nHuman: …" (no closing quote).
        func writeHHOpen(_ w: inout JSONWriter) {
            w.raw("\"")
            if !isConversation { w.raw("\\n\\nHuman: ") }
            w.stringContent(text)
        }
    }

    /// A completion as a string: a leading space after an HH-style prompt, as in Anthropic's data.
    func writeCompletion(_ w: inout JSONWriter, _ p: PromptBytes, _ text: [UInt8]) {
        w.raw("\"")
        if p.isConversation { writeAfterAssistantMarker(&w, text) } else { w.stringContent(text) }
        w.raw("\"")
    }

    /// The text after "\n\nAssistant:": one space, then the completion, unless the completion starts
    /// with white space of its own (a model's sampled " 42"): never two.
    func writeAfterAssistantMarker(_ w: inout JSONWriter, _ text: [UInt8]) {
        if let first = text.first, first == 0x20 || first == 0x0A || first == 0x09 { } else { w.raw(" ") }
        w.stringContent(text)
    }

    func writeAssistant(_ w: inout JSONWriter, _ text: [UInt8]) {
        w.raw("[{\"role\":\"assistant\",\"content\":"); w.string(bytes: text); w.raw("}]")
    }

    func pairRows(_ c: Connection, _ sink: inout RowSink, _ w: inout JSONWriter) throws {
        let (source, params) = pairSource()
        let sql = """
            SELECT p.text, p.messages, p.content_hash, ch.text, re.text, s.n, s.agree, s.disagree, s.ties, s.pid, s.cid, s.rid
            FROM (\(source)) AS s
            JOIN prompts p ON p.id = s.pid JOIN responses ch ON ch.id = s.cid JOIN responses re ON re.id = s.rid
            ORDER BY s.ord, s.cid, s.rid
            """
        var p = PromptBytes(), chosen: [UInt8] = [], rejected: [UInt8] = []
        let conversational = options.conversational
        try c.prepare(sql).forEach(params) { s in
            p.load(s, text: 0, messages: 1, hash: 2)
            s.copyUTF8(3, into: &chosen)
            s.copyUTF8(4, into: &rejected)
            switch options.format {
            case .trl where conversational:
                if options.implicitPrompt {
                    w.raw("{\"chosen\":"); p.writeMessages(&w, closed: false)
                    w.raw(",{\"role\":\"assistant\",\"content\":"); w.string(bytes: chosen)
                    w.raw("}],\"rejected\":"); p.writeMessages(&w, closed: false)
                    w.raw(",{\"role\":\"assistant\",\"content\":"); w.string(bytes: rejected); w.raw("}]}")
                } else {
                    w.raw("{\"prompt\":"); p.writeMessages(&w)
                    w.raw(",\"chosen\":"); writeAssistant(&w, chosen)
                    w.raw(",\"rejected\":"); writeAssistant(&w, rejected); w.raw("}")
                }
            case .trl:
                if options.implicitPrompt {
                    for (key, completion) in [("{\"chosen\":\"", chosen), ("\",\"rejected\":\"", rejected)] {
                        w.raw(key); w.stringContent(p.text)
                        if p.isConversation { w.raw("\\n\\nAssistant:") }
                        writeAfterAssistantMarker(&w, completion)
                    }
                    w.raw("\"}")
                } else {
                    w.raw("{\"prompt\":"); p.writeString(&w)
                    w.raw(",\"chosen\":"); writeCompletion(&w, p, chosen)
                    w.raw(",\"rejected\":"); writeCompletion(&w, p, rejected); w.raw("}")
                }
            case .hh:
                w.raw("{\"chosen\":"); p.writeHHOpen(&w); w.raw("\\n\\nAssistant:"); writeAfterAssistantMarker(&w, chosen)
                w.raw("\",\"rejected\":"); p.writeHHOpen(&w); w.raw("\\n\\nAssistant:"); writeAfterAssistantMarker(&w, rejected); w.raw("\"}")
            case .rmStatic:
                w.raw("{\"prompt\":"); p.writeHHOpen(&w); w.raw("\\n\\nAssistant:\"")
                w.raw(",\"response\":\""); writeAfterAssistantMarker(&w, chosen)
                w.raw("\",\"chosen\":\""); writeAfterAssistantMarker(&w, chosen)
                w.raw("\",\"rejected\":\""); writeAfterAssistantMarker(&w, rejected); w.raw("\"}")
            case .kto:
                for (text, label) in [(chosen, true), (rejected, false)] {
                    writeKTO(&w, p, text, label)
                    try sink.emit(&w, contentHash: p.hash)
                }
                return
            case .pairs:
                let n = s.int(5), agree = s.int(6)
                w.raw("{\"prompt_id\":"); w.int(s.int(9)); w.raw(",\"chosen_id\":"); w.int(s.int(10))
                w.raw(",\"rejected_id\":"); w.int(s.int(11))
                w.raw(",\"prompt\":"); p.writeString(&w)
                w.raw(",\"chosen\":"); writeCompletion(&w, p, chosen)
                w.raw(",\"rejected\":"); writeCompletion(&w, p, rejected)
                w.raw(",\"votes\":"); w.int(n); w.raw(",\"agree\":"); w.int(agree)
                w.raw(",\"disagree\":"); w.int(s.int(7)); w.raw(",\"ties\":"); w.int(s.int(8))
                w.raw(",\"agreement\":"); w.raw(formatRatio(agree, n)); w.raw("}")
            case .sft, .raw, .prompts:
                preconditionFailure("not a pair format")
            }
            try sink.emit(&w, contentHash: p.hash)
        }
    }

    func writeKTO(_ w: inout JSONWriter, _ p: PromptBytes, _ completion: [UInt8], _ label: Bool) {
        if options.conversational {
            w.raw("{\"prompt\":"); p.writeMessages(&w)
            w.raw(",\"completion\":"); writeAssistant(&w, completion)
        } else {
            w.raw("{\"prompt\":"); p.writeString(&w)
            w.raw(",\"completion\":"); writeCompletion(&w, p, completion)
        }
        w.raw(label ? ",\"label\":true}" : ",\"label\":false}")
    }

    /// KTO rows from thumbs: up = true, down = false.
    func thumbRows(_ c: Connection, _ sink: inout RowSink, _ w: inout JSONWriter) throws {
        let (filter, params) = labelFilter()
        let sql = """
            SELECT p.text, p.messages, p.content_hash, r.text, t.thumb
            FROM judgments j JOIN annotators a ON a.id = j.annotator_id
            JOIN judgment_thumbs t ON t.judgment_id = j.id
            JOIN prompts p ON p.id = j.prompt_id JOIN responses r ON r.id = t.response_id
            WHERE \(filter) ORDER BY j.id, t.response_id
            """
        var p = PromptBytes(), text: [UInt8] = []
        try c.prepare(sql).forEach(params) { s in
            p.load(s, text: 0, messages: 1, hash: 2)
            s.copyUTF8(3, into: &text)
            writeKTO(&w, p, text, s.int(4) > 0)
            try sink.emit(&w, contentHash: p.hash)
        }
    }

    /// SFT rows from rewrites (annotators' and imported demonstrations).
    func sftRows(_ c: Connection, _ sink: inout RowSink, _ w: inout JSONWriter) throws {
        let (filter, params) = labelFilter()
        let sql = """
            SELECT p.text, p.messages, p.content_hash, j.rewrite
            FROM judgments j JOIN annotators a ON a.id = j.annotator_id JOIN prompts p ON p.id = j.prompt_id
            WHERE \(Exporter.carriesRewrite) AND \(filter) ORDER BY j.id
            """
        var p = PromptBytes(), text: [UInt8] = []
        try c.prepare(sql).forEach(params) { s in
            p.load(s, text: 0, messages: 1, hash: 2)
            s.copyUTF8(3, into: &text)
            if options.conversational {
                w.raw("{\"prompt\":"); p.writeMessages(&w); w.raw(",\"completion\":"); writeAssistant(&w, text); w.raw("}")
            } else {
                w.raw("{\"prompt\":"); p.writeString(&w); w.raw(",\"completion\":"); writeCompletion(&w, p, text); w.raw("}")
            }
            try sink.emit(&w, contentHash: p.hash)
        }
    }

    /// Prompt-only rows: every prompt not held out for evaluation, in id order; --since keeps prompts
    /// created at or after that time. Conversations as their HH transcript ending in "\n\nAssistant:"
    /// (or, --conversational, their message list).
    func promptRows(_ c: Connection, _ sink: inout RowSink, _ w: inout JSONWriter) throws {
        var sql = "SELECT p.text, p.messages, p.content_hash FROM prompts p WHERE p.heldout = 0"
        var params: [SQLValue] = []
        if let since = options.since { sql += " AND p.created_at >= ?"; params.append(.int(since)) }
        var p = PromptBytes()
        try c.prepare(sql + " ORDER BY p.id").forEach(params) { s in
            p.load(s, text: 0, messages: 1, hash: 2)
            w.raw("{\"prompt\":")
            if options.conversational { p.writeMessages(&w) } else { p.writeString(&w) }
            w.raw("}")
            try sink.emit(&w, contentHash: p.hash)
        }
    }

    /// Every live judgment, with its parts assembled by SQLite's JSON functions.
    func rawRows(_ c: Connection, _ sink: inout RowSink, _ w: inout JSONWriter) throws {
        let (filter, params) = labelFilter()
        let iso = "strftime('%Y-%m-%dT%H:%M:%fZ', %@ / 1000.0, 'unixepoch')"
        let sql = """
            SELECT json_object(
              'judgment_id', j.id, 'annotator', a.name, 'annotator_id', a.id, 'origin', j.origin, 'kind', j.kind,
              'prompt_id', p.id, 'prompt', p.text, 'messages', json(p.messages), 'both_bad', json(CASE j.both_bad WHEN 1 THEN 'true' ELSE 'false' END),
              'ranks', (SELECT json_group_array(json_object('response_id', r.response_id, 'rank', r.rank, 'text', x.text))
                        FROM judgment_ranks r JOIN responses x ON x.id = r.response_id WHERE r.judgment_id = j.id),
              'ratings', (SELECT json_group_array(json_object('response_id', g.response_id, 'criterion', g.criterion, 'score', g.score))
                          FROM judgment_ratings g WHERE g.judgment_id = j.id),
              'thumbs', (SELECT json_group_array(json_object('response_id', t.response_id, 'up', json(CASE WHEN t.thumb > 0 THEN 'true' ELSE 'false' END)))
                         FROM judgment_thumbs t WHERE t.judgment_id = j.id),
              'rationale', j.rationale, 'rewrite', j.rewrite, 'time_spent_ms', j.time_spent_ms,
              'created_at', \(iso.replacingOccurrences(of: "%@", with: "j.created_at"))),
              p.content_hash
            FROM judgments j JOIN annotators a ON a.id = j.annotator_id JOIN prompts p ON p.id = j.prompt_id
            WHERE \(filter) ORDER BY j.id
            """
        try c.prepare(sql).forEach(params) { s in
            s.withUTF8(0) { w.bytes.append(contentsOf: $0) }
            try sink.emit(&w, contentHash: s.blob(1))
        }
    }
}

/// agree / n with up to 4 decimals, as JSON.
func formatRatio(_ a: Int64, _ n: Int64) -> String {
    guard n > 0 else { return "null" }
    let scaled = (a * 10_000 + n / 2) / n
    let whole = scaled / 10_000, frac = scaled % 10_000
    if frac == 0 { return "\(whole)" }
    var f = String(frac)
    while f.count < 4 { f = "0" + f }
    while f.hasSuffix("0") { f.removeLast() }
    return "\(whole).\(f)"
}
