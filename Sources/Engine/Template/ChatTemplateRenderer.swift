// A model folder's chat template and the variables transformers gives it: finds the template
// (chat_template.jinja and additional_chat_templates/*.jinja, else tokenizer_config.json's
// `chat_template`, a string or a list of named templates), reads the special tokens, and renders a
// conversation as `tokenizer.apply_chat_template(messages, tokenize=False)` does.
import Foundation

public struct ChatTemplateRenderer {
    /// Template sources by name; a folder with a single template calls it "default".
    public let templates: [String: String]
    /// bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token: the named special
    /// tokens transformers passes to every template (as strings).
    public let specialTokens: JinjaDict

    public init(templates: [String: String], specialTokens: JinjaDict = JinjaDict()) {
        self.templates = templates
        self.specialTokens = specialTokens
    }

    static let specialTokenNames = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    /// Reads the templates and special tokens of a Hugging Face model folder.
    public static func load(directory: URL) throws -> ChatTemplateRenderer {
        let fm = FileManager.default
        var templates: [String: String] = [:]
        let jinjaFile = directory.appendingPathComponent("chat_template.jinja")
        if fm.fileExists(atPath: jinjaFile.path) { templates["default"] = try readText(jinjaFile) }
        let extraFolder = directory.appendingPathComponent("additional_chat_templates")
        for name in (try? fm.contentsOfDirectory(atPath: extraFolder.path)) ?? [] where name.hasSuffix(".jinja") {
            templates[String(name.dropLast(6))] = try readText(extraFolder.appendingPathComponent(name))
        }
        let configFile = directory.appendingPathComponent("tokenizer_config.json")
        var config = JinjaDict()
        if fm.fileExists(atPath: configFile.path) {
            guard case .dict(let d) = try parseJSONFile(configFile) else {
                throw EngineError.badFile(path: configFile.path, reason: "expected a JSON object")
            }
            config = d
        }
        if templates.isEmpty {
            switch config["chat_template"] {
            case .string(let s)?: templates["default"] = s
            case .list(let entries)?:
                for (i, entry) in entries.enumerated() {
                    guard case .dict(let e) = entry, case .string(let name)? = e["name"], case .string(let source)? = e["template"] else {
                        throw EngineError.badFile(path: configFile.path, reason: "chat_template[\(i)] must be {\"name\": …, \"template\": …}")
                    }
                    templates[name] = source
                }
            case nil, .none?: break
            case let other?:
                throw EngineError.badFile(path: configFile.path, reason: "chat_template must be a string or a list of named templates, not \(other.typeName)")
            }
        }
        guard !templates.isEmpty else {
            throw EngineError.badFile(path: directory.path, reason: "no chat template: neither chat_template.jinja nor a chat_template in tokenizer_config.json")
        }
        var special = JinjaDict()
        let mapFile = directory.appendingPathComponent("special_tokens_map.json")
        var map = JinjaDict()
        if fm.fileExists(atPath: mapFile.path), case .dict(let d) = try parseJSONFile(mapFile) { map = d }
        for name in specialTokenNames {
            // A token is a string or an AddedToken object {"content": …}.
            for source in [config, map] {
                switch source[name] {
                case .string(let s)?: special[name] = .string(s)
                case .dict(let d)?: if case .string(let s)? = d["content"] { special[name] = .string(s) }
                default: continue
                }
                break
            }
        }
        return ChatTemplateRenderer(templates: templates, specialTokens: special)
    }

    /// The template transformers would pick: the named one, else `tool_use` when there are tools, else `default`.
    public func source(named name: String? = nil, hasTools: Bool) throws -> String {
        if let name {
            guard let t = templates[name] else { throw EngineError.invalidInput("no chat template named '\(name)' (have \(templates.keys.sorted().joined(separator: ", ")))") }
            return t
        }
        if hasTools, let t = templates["tool_use"] { return t }
        if let t = templates["default"] { return t }
        throw EngineError.invalidInput("several chat templates and none is called 'default': name one of \(templates.keys.sorted().joined(separator: ", "))")
    }

    /// Renders a conversation with the variables apply_chat_template passes: the special tokens, `extra`
    /// (e.g. enable_thinking; it wins over a special token of the same name), then messages, tools,
    /// documents and add_generation_prompt. Messages lose keys whose value is null, and a reasoning field
    /// (reasoning_content, thinking or reasoning) is copied under the names templates read, as transformers does.
    public func render(messages: [JinjaValue], tools: [JinjaValue]? = nil, documents: [JinjaValue]? = nil,
                       addGenerationPrompt: Bool = false, extra: JinjaDict = JinjaDict(), templateName: String? = nil,
                       now: Date = Date()) throws -> JinjaRendering {
        let template = try JinjaTemplate(try source(named: templateName, hasTools: tools != nil))
        var context = specialTokens
        for (k, v) in extra { context[k] = v }
        context["messages"] = .list(try messages.enumerated().map { try Self.normalize($0.element, index: $0.offset) })
        context["tools"] = tools.map { .list($0) } ?? JinjaValue.none
        context["documents"] = documents.map { .list($0) } ?? JinjaValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try template.render(context, now: now)
    }

    static let reasoningFields = ["reasoning_content", "thinking", "reasoning"]

    private static func normalize(_ message: JinjaValue, index: Int) throws -> JinjaValue {
        guard case .dict(let d) = message else { throw EngineError.invalidInput("messages[\(index)] must be an object, not \(message.typeName)") }
        var kept = JinjaDict()
        for (k, v) in d { if case .none = v { continue }; kept[k] = v }
        guard let reasoning = reasoningFields.lazy.compactMap({ kept[$0] }).first else { return .dict(kept) }
        var aliased = JinjaDict([("thinking", reasoning)])
        for (k, v) in kept { aliased[k] = v }
        aliased["reasoning_content"] = reasoning
        return .dict(aliased)
    }

    private static func readText(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw EngineError.badFile(path: url.path, reason: "cannot read the file") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A JSON file as Jinja values; a syntax error names the file, line and column.
    public static func parseJSONFile(_ url: URL) throws -> JinjaValue {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw EngineError.badFile(path: url.path, reason: "cannot read the file") }
        do {
            return try JinjaValue.parseJSON([UInt8](data))
        } catch let e as JinjaError {
            throw EngineError.badFile(path: url.path, reason: e.message)
        }
    }
}
