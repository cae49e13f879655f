// How a model folder's chat template is found and which variables it gets: chat_template.jinja first,
// then tokenizer_config.json's chat_template (a string or named templates), special tokens as strings.
import Foundation
import Testing
@testable import Engine

struct ChatTemplateLoadingTests {
    private func folder(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-template-\(UUID().uuidString)")
        for (name, text) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return dir
    }

    private let user = JinjaValue.dict(JinjaDict([("role", .string("user")), ("content", .string("hi"))]))

    @Test("chat_template.jinja wins over tokenizer_config.json's chat_template, and AddedToken objects give their content")
    func jinjaFileWins() throws {
        let dir = try folder([
            "chat_template.jinja": "{{ bos_token }}[{{ messages[0].content }}]{{ eos_token }}\n",
            "tokenizer_config.json": #"{"chat_template": "from config", "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": null}"#,
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let renderer = try ChatTemplateRenderer.load(directory: dir)
        #expect(try renderer.render(messages: [user]).text == "<s>[hi]</s>")
        #expect(renderer.specialTokens["pad_token"] == nil)
    }

    @Test("a list of named templates picks tool_use when tools are given, default otherwise, or the one named")
    func namedTemplates() throws {
        let dir = try folder([
            "tokenizer_config.json": #"{"chat_template": [{"name": "default", "template": "D{{ tools }}"}, {"name": "tool_use", "template": "T{{ tools | length }}"}, {"name": "rag", "template": "R"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let renderer = try ChatTemplateRenderer.load(directory: dir)
        #expect(try renderer.render(messages: [user]).text == "DNone")
        #expect(try renderer.render(messages: [user], tools: [.dict(JinjaDict())]).text == "T1")
        #expect(try renderer.render(messages: [user], templateName: "rag").text == "R")
        #expect(throws: EngineError.self) { try renderer.render(messages: [user], templateName: "nope") }
    }

    @Test("a single string chat_template in tokenizer_config.json is the default; extra variables win over special tokens")
    func configString() throws {
        let dir = try folder([
            "tokenizer_config.json": #"{"chat_template": "{{ eos_token }}{{ enable_thinking }}{{ add_generation_prompt }}", "eos_token": "</s>"}"#,
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let renderer = try ChatTemplateRenderer.load(directory: dir)
        let extra = JinjaDict([("enable_thinking", .bool(false)), ("eos_token", .string("<E>"))])
        #expect(try renderer.render(messages: [user], addGenerationPrompt: true, extra: extra).text == "<E>FalseTrue")
    }

    @Test("null message fields are dropped and reasoning is copied to thinking and reasoning_content, in transformers' key order")
    func messageNormalisation() throws {
        let renderer = ChatTemplateRenderer(templates: ["default": "{% for m in messages %}{{ m | tojson }}\n{% endfor %}"])
        let messages: [JinjaValue] = [
            .dict(JinjaDict([("role", .string("user")), ("content", .string("q")), ("name", .none)])),
            .dict(JinjaDict([("role", .string("assistant")), ("content", .string("a")), ("reasoning", .string("r"))])),
        ]
        let text = try renderer.render(messages: messages).text
        #expect(text == """
            {"role": "user", "content": "q"}
            {"thinking": "r", "role": "assistant", "content": "a", "reasoning": "r", "reasoning_content": "r"}

            """)
    }

    @Test("generation spans are character offsets (Python string indices) with UTF-8 byte offsets beside them")
    func generationSpans() throws {
        let t = try JinjaTemplate("é{% for m in messages %}<{% generation %}{{ m }}{% endgeneration %}>{% endfor %}")
        let r = try t.render(JinjaDict([("messages", .list([.string("ü"), .string("ab")]))]))
        #expect(r.text == "é<ü><ab>")
        #expect(r.generationSpans == [2..<3, 5..<7])
        #expect(r.generationByteSpans == [3..<5, 7..<9])
        #expect(t.hasGenerationBlocks)
    }

    @Test("strftime_now reads the date it is given")
    func strftimeFixedDate() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        let date = calendar.date(from: DateComponents(year: 2024, month: 2, day: 29))!
        let r = try JinjaTemplate("{{ strftime_now('%d %b %Y (%A, day %j)') }}").render(JinjaDict(), now: date)
        #expect(r.text == "29 Feb 2024 (Thursday, day 060)")
    }
}
