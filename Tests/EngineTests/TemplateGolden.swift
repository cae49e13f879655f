// Loads templates/golden.json, which make_template_golden.py writes with transformers' own renderer,
// and renders its cases with Hilo's Jinja engine the way `hilo template --model` does.
import Foundation
import Testing
@testable import Engine

final class TemplateGolden: @unchecked Sendable {
    struct Case {
        let template: String
        let conversation: String
        let tools: Bool
        let documents: Bool
        let addGenerationPrompt: Bool
        let variables: JinjaDict
        let text: String?
        let generation: [Range<Int>]
        let error: String?

        var label: String {
            "\(template) × \(conversation)\(tools ? " +tools" : "")\(documents ? " +documents" : "")\(addGenerationPrompt ? " +generation prompt" : "")"
                + (variables["enable_thinking"].map { " enable_thinking=\($0.pythonRepr)" } ?? "")
        }
    }

    let directory: URL
    let cases: [Case]
    let templateNames: [String]
    let conversations: JinjaDict
    let tools: [JinjaValue]
    let documents: [JinjaValue]
    let now: Date

    static let shared = try! TemplateGolden()

    private init() throws {
        directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("templates")
        guard case .dict(let root) = try JinjaValue.parseJSON([UInt8](Data(contentsOf: directory.appendingPathComponent("golden.json")))),
              case .string("hilo-template-golden-2")? = root["format"], case .dict(let variables)? = root["variables"],
              case .dict(let conversations)? = root["conversations"], case .list(let tools)? = root["tools"],
              case .list(let documents)? = root["documents"],
              case .list(let cases)? = root["cases"],
              case .string(let date)? = root["date"] else { throw JinjaError("golden.json: unexpected layout") }
        self.conversations = conversations
        self.tools = tools
        self.documents = documents
        templateNames = variables.keys.map(\.value.pythonString)
        let parts = date.split(separator: "-").map { Int($0)! }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        now = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))!
        self.cases = cases.map { value in
            guard case .dict(let c) = value, case .string(let template)? = c["template"],
                  case .dict(var caseVariables)? = variables[template] else { fatalError("golden.json: a case without its template's variables") }
            if let thinking = c["enable_thinking"] { caseVariables["enable_thinking"] = thinking }
            var spans: [Range<Int>] = []
            for span in c["generation"]?.sequence ?? [] {
                guard let pair = span.sequence, case .int(let a) = pair[0], case .int(let b) = pair[1] else { fatalError("bad span") }
                spans.append(a..<b)
            }
            func string(_ key: String) -> String? { if case .string(let s)? = c[key] { return s } else { return nil } }
            return Case(template: template, conversation: string("conversation")!, tools: c["tools"]!.truthy, documents: c["documents"]?.truthy ?? false,
                        addGenerationPrompt: c["add_generation_prompt"]!.truthy, variables: caseVariables,
                        text: string("text"), generation: spans, error: string("error"))
        }
    }

    func source(_ template: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(template + ".jinja"), encoding: .utf8)
    }

    /// Renders one case as `hilo template --model` would: the variables (special tokens, enable_thinking,
    /// the hand-made templates' data) go in as extra variables beside messages, tools and the prompt flag.
    func render(_ c: Case, source: String) throws -> JinjaRendering {
        let renderer = ChatTemplateRenderer(templates: ["default": source])
        guard case .list(let messages)? = conversations[c.conversation] else { throw JinjaError("no conversation \(c.conversation)") }
        return try renderer.render(messages: messages, tools: c.tools ? tools : nil, documents: c.documents ? documents : nil,
                                   addGenerationPrompt: c.addGenerationPrompt,
                                   extra: c.variables, now: now)
    }
}

/// Where two texts first differ, with a little of each around it, for a failure message.
func firstDifference(_ expected: String, _ actual: String) -> String {
    let e = Array(expected.unicodeScalars), a = Array(actual.unicodeScalars)
    var i = 0
    while i < e.count, i < a.count, e[i] == a[i] { i += 1 }
    func around(_ s: [Unicode.Scalar]) -> String {
        pythonStringRepr(String(String.UnicodeScalarView(s[max(0, i - 30)..<min(s.count, i + 40)])))
    }
    return "first difference at character \(i) (expected \(e.count), got \(a.count)): expected …\(around(e))… got …\(around(a))…"
}
