// The tokenizer_config.json Hilo writes into model folders: its HH chat template renders every
// conversation exactly as ChatTemplate.render does (and refuses what it refuses), a folder whose
// tokenizer came without the file gets one naming the config's special tokens and context, and a file
// the source has is copied unchanged. (transformers reading it: Tests/e2e/test_tokenizer_config.py.)
import Foundation
import Testing
@testable import Engine

struct TokenizerConfigTests {
    private func message(_ role: String, _ content: String) -> JinjaValue {
        .dict(JinjaDict([("role", .string(role)), ("content", .string(content))]))
    }

    @Test("the HH Jinja template renders every conversation as ChatTemplate.render, with and without the generation prompt",
          arguments: [
              [("user", "2 + 2?")],
              [("system", "Answer in one line."), ("user", "7 + 5?"), ("assistant", "12."), ("user", "And 8 + 1?")],
              [("user", "Hi"), ("assistant", " leading space, and\nnew lines")],
              [("system", "")],
          ])
    func jinjaMatchesRender(_ turns: [(String, String)]) throws {
        let renderer = ChatTemplateRenderer(templates: ["default": ChatTemplate.jinja])
        for generation in [false, true] {
            let jinja = try renderer.render(messages: turns.map { message($0.0, $0.1) }, addGenerationPrompt: generation).text
            let swift = try ChatTemplate.render(turns.map { ChatTurn(role: ChatTurn.Role(rawValue: $0.0)!, content: $0.1) },
                                                addGenerationPrompt: generation)
            #expect(jinja == swift, "generation prompt \(generation)")
        }
    }

    @Test("the HH Jinja template refuses a system message after the first turn and an unknown role")
    func jinjaRefuses() throws {
        let renderer = ChatTemplateRenderer(templates: ["default": ChatTemplate.jinja])
        #expect(throws: (any Error).self) { try renderer.render(messages: [message("user", "a"), message("system", "b")]) }
        #expect(throws: (any Error).self) { try renderer.render(messages: [message("tool", "a")]) }
        #expect(throws: (any Error).self) {
            try ChatTemplate.render([ChatTurn(role: .user, content: "a"), ChatTurn(role: .system, content: "b")])
        }
    }

    /// A folder holding only a tokenizer.json: 47 letters and `<|endoftext|>` as id 47 (the fixture model's eos).
    private func tokenizerOnlyFolder(in dir: URL) throws -> URL {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU").map(String.init)
        let vocab = Dictionary(uniqueKeysWithValues: letters.enumerated().map { ($0.element, $0.offset) })
        let tokenizer = try Tokenizer(vocab: vocab, merges: [], addedTokens: [AddedToken(id: 47, content: "<|endoftext|>", special: true)])
        let source = dir.appendingPathComponent("tok")
        try tokenizer.save(directory: source)
        return source
    }

    @Test("a model saved with a tokenizer that has no tokenizer_config.json gets one with its special tokens, context and the HH template")
    func generatedWhenMissing() throws {
        let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
        let source = try tokenizerOnlyFolder(in: dir)
        var model = try ModelFolder.load(at: CheckpointFixtures.folder("lm_f32"))
        model.config.padTokenId = nil
        try ModelFolder.save(model, to: dir.appendingPathComponent("lm"), tokenizerFrom: source)
        let data = try Data(contentsOf: dir.appendingPathComponent("lm/tokenizer_config.json"))
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(config["tokenizer_class"] as? String == "GPT2Tokenizer")
        #expect(config["model_max_length"] as? Int == 16)
        #expect(config["eos_token"] as? String == "<|endoftext|>" && config["bos_token"] as? String == "<|endoftext|>")
        #expect(config["unk_token"] as? String == "<|endoftext|>" && config["pad_token"] is NSNull)
        #expect(config["add_prefix_space"] as? Bool == false)
        #expect(config["chat_template"] as? String == ChatTemplate.jinja)
        // Hilo reads it back: the end-of-text token and the template.
        #expect(try Tokenizer.load(directory: dir.appendingPathComponent("lm")).eosTokenId == 47)
        let renderer = try ChatTemplateRenderer.load(directory: dir.appendingPathComponent("lm"))
        #expect(try renderer.render(messages: [message("user", "hi")], addGenerationPrompt: true).text == "\n\nHuman: hi\n\nAssistant:")
    }

    @Test("a reward model's generated tokenizer_config.json names its pad token, as its config does")
    func rewardModelNamesPad() throws {
        let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
        let source = try tokenizerOnlyFolder(in: dir)
        var model = try ModelFolder.load(at: CheckpointFixtures.folder("reward"))
        model.config.padTokenId = nil
        try ModelFolder.save(model, to: dir.appendingPathComponent("rm"), tokenizerFrom: source)
        let data = try Data(contentsOf: dir.appendingPathComponent("rm/tokenizer_config.json"))
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(config["pad_token"] as? String == "<|endoftext|>")
    }

    @Test("a tokenizer_config.json the source has is copied byte for byte")
    func copiedWhenPresent() throws {
        let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
        let source = try tokenizerOnlyFolder(in: dir)
        let own = Data(#"{"eos_token": "<|endoftext|>", "model_max_length": 9, "chat_template": "{{ 'x' }}"}"#.utf8)
        try own.write(to: source.appendingPathComponent("tokenizer_config.json"))
        let model = try ModelFolder.load(at: CheckpointFixtures.folder("lm_f32"))
        try ModelFolder.save(model, to: dir.appendingPathComponent("lm"), tokenizerFrom: source)
        #expect(try Data(contentsOf: dir.appendingPathComponent("lm/tokenizer_config.json")) == own)
    }
}
