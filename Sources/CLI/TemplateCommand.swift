// `hilo template`: renders a model's chat template over a conversation (as transformers'
// apply_chat_template does, with the token ids), or any Jinja template over a context file.
import ArgumentParser
import Engine
import Foundation

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Render a chat template (a model folder's, or any Jinja file) as transformers renders it.",
        discussion: """
            hilo template --model DIR --messages FILE.json [--add-generation-prompt] [--tools FILE.json]
            hilo template --template FILE.jinja --context FILE.json
            Without --json the rendered text is printed exactly, with no newline added.
            """)

    @Option(help: "A model folder with chat_template.jinja or a chat_template in tokenizer_config.json.")
    var model: String?

    @Option(help: "A JSON list of messages ({\"role\": …, \"content\": …}), or an object with a \"messages\" list.")
    var messages: String?

    @Option(help: "A JSON list of tool schemas, for templates that support tool use.")
    var tools: String?

    @Option(help: "A JSON object of further template variables (e.g. {\"enable_thinking\": false}).")
    var variables: String?

    @Option(help: "Which of the model's named templates to use (default: tool_use with --tools, else default).")
    var templateName: String?

    @Flag(help: "End with the header that starts the assistant's reply.")
    var addGenerationPrompt = false

    @Option(help: "A Jinja template file to render instead of a model's.")
    var template: String?

    @Option(help: "With --template: a JSON object whose keys are the template's variables.")
    var context: String?

    @Option(help: "The date strftime_now reads, YYYY-MM-DD (midnight, local time), for reproducible renders.")
    var date: String?

    @Flag(help: "Print one JSON object: {\"text\": …} (with --model also \"ids\", and \"generation\" spans when the template marks them).")
    var json = false

    func validate() throws {
        if (model == nil) == (template == nil) { throw ValidationError("give either --model (with --messages) or --template (with --context)") }
        if model != nil, messages == nil { throw ValidationError("--model needs --messages FILE.json") }
        if template != nil, context == nil { throw ValidationError("--template needs --context FILE.json") }
        if let date, parseDate(date) == nil { throw ValidationError("--date must be YYYY-MM-DD, got '\(date)'") }
    }

    func run() throws {
        let now = date.flatMap(parseDate) ?? Date()
        var output = JinjaDict()
        let rendering: JinjaRendering
        if let template {
            let url = URL(fileURLWithPath: template)
            guard let data = FileManager.default.contents(atPath: url.path) else { throw EngineError.badFile(path: url.path, reason: "cannot read the file") }
            guard case .dict(let variables) = try ChatTemplateRenderer.parseJSONFile(URL(fileURLWithPath: context!)) else {
                throw EngineError.badFile(path: context!, reason: "the context must be a JSON object")
            }
            rendering = try withFile(template) { try JinjaTemplate(String(decoding: data, as: UTF8.self)).render(variables, now: now) }
            output["text"] = .string(rendering.text)
        } else {
            let dir = URL(fileURLWithPath: model!)
            let renderer = try ChatTemplateRenderer.load(directory: dir)
            var conversation = try ChatTemplateRenderer.parseJSONFile(URL(fileURLWithPath: messages!))
            if case .dict(let d) = conversation, let m = d["messages"] { conversation = m }
            guard case .list(let list) = conversation else { throw EngineError.badFile(path: messages!, reason: "expected a list of messages") }
            var toolList: [JinjaValue]?
            if let tools {
                guard case .list(let t) = try ChatTemplateRenderer.parseJSONFile(URL(fileURLWithPath: tools)) else {
                    throw EngineError.badFile(path: tools, reason: "expected a list of tool schemas")
                }
                toolList = t
            }
            var extra = JinjaDict()
            if let variables {
                guard case .dict(let v) = try ChatTemplateRenderer.parseJSONFile(URL(fileURLWithPath: variables)) else {
                    throw EngineError.badFile(path: variables, reason: "expected a JSON object")
                }
                extra = v
            }
            rendering = try withFile(dir.appendingPathComponent("chat_template.jinja").path) {
                try renderer.render(messages: list, tools: toolList, addGenerationPrompt: addGenerationPrompt,
                                    extra: extra, templateName: templateName, now: now)
            }
            let tokenizer = try Tokenizer.load(directory: dir)
            output["text"] = .string(rendering.text)
            output["ids"] = .list(tokenizer.encode(rendering.text, allowSpecialTokens: true).map { .int($0) })
        }
        if !rendering.generationSpans.isEmpty {
            output["generation"] = .list(rendering.generationSpans.map { .list([.int($0.lowerBound), .int($0.upperBound)]) })
        }
        if json {
            print(try JinjaValue.dict(output).pythonJSON(separators: (",", ":")))
        } else {
            FileHandle.standardOutput.write(Data(rendering.text.utf8))
        }
    }

    /// A template error names the file as well as the line.
    private func withFile<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as JinjaError {
            throw EngineError.badFile(path: path, reason: e.description)
        }
    }

    private func parseDate(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, text.count == 10 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        guard let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else { return nil }
        // Calendar rolls 2025-13-01 over into 2026; a real date reads back as itself.
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        return (back.year, back.month, back.day) == (parts[0], parts[1], parts[2]) ? date : nil
    }
}
