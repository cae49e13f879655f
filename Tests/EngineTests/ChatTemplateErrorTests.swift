// A bad template or a refused conversation is a thrown JinjaError that names the template line,
// never a crash or a silent empty render.
import Foundation
import Testing
@testable import Engine

struct ChatTemplateErrorTests {
    private func error(_ source: String, _ context: JinjaDict = JinjaDict()) -> JinjaError? {
        do {
            _ = try JinjaTemplate(source).render(context)
            return nil
        } catch let e as JinjaError {
            return e
        } catch {
            return nil
        }
    }

    @Test("an unknown filter is refused when the template is parsed, naming the filter and its line")
    func unknownFilterNamesLine() {
        let e = error("line one\n{{ messages | length }}\n{{ 'x' | shout }}\n")
        #expect(e?.line == 3)
        #expect(e?.message == "no filter named 'shout'")
        #expect(e?.description == "template line 3: no filter named 'shout'")
    }

    @Test("an unknown test outside an if is refused at parse time with its line")
    func unknownTestNamesLine() {
        let e = error("\n{{ x is shiny }}")
        #expect(e?.line == 2)
        #expect(e?.message == "no test named 'shiny'")
    }

    @Test("inside an if, an unknown filter or test fails only when it runs, as in jinja2 (DeepSeek's from_json)")
    func unknownNamesInsideIfFailWhenRun() throws {
        #expect(try JinjaTemplate("{% if false %}{{ x | from_json }}{% endif %}ok").render(JinjaDict()).text == "ok")
        let e = error("{% if true %}\n{{ x | from_json }}{% endif %}")
        #expect(e?.message == "no filter named 'from_json' found")
        #expect(e?.line == 2)
        #expect(error("{% if x is shiny %}{% endif %}")?.message == "no test named 'shiny' found")
        #expect(error("{{ 1 if false else x | zz }}")?.message == "no filter named 'zz' found")
        // A loop or set-block body inside an if is a new frame again: refused at parse time.
        #expect(error("{% if true %}{% for i in [1] %}{{ 1 | zz }}{% endfor %}{% endif %}")?.message == "no filter named 'zz'")
        #expect(error("{% if true %}{% set x %}{{ 1 | zz }}{% endset %}{% endif %}")?.message == "no filter named 'zz'")
    }

    @Test("an unclosed for block names the line that opened it")
    func unclosedBlockNamesOpeningLine() {
        let e = error("a\n{% for m in messages %}\n{{ m }}\n{% if m %}x{% endif %}\n")
        #expect(e?.line == 2)
        #expect(e?.message.contains("unclosed 'for' block opened on line 2") == true)
        #expect(e?.message.contains("endfor") == true)
    }

    @Test("an unclosed tag and an unterminated string are errors with their line")
    func unclosedTagAndString() {
        #expect(error("ok\n{{ messages ")?.line == 2)
        #expect(error("\n\n{{ 'abc }}")?.line == 3)
        #expect(error("{# never closed")?.message.contains("#}") == true)
    }

    @Test("a stray end tag and an unknown tag are refused")
    func strayAndUnknownTags() {
        #expect(error("x\n{% endif %}")?.message == "unexpected 'endif': no open block it could close")
        #expect(error("{% include 'other.jinja' %}")?.message == "unknown tag 'include'")
        #expect(error("{% break %}")?.message == "'break' outside of a for loop")
    }

    @Test("raise_exception stops the render with the template's own message, flagged as raised by the template, at its line")
    func raiseExceptionCarriesMessageAndLine() {
        let source = "{% for m in messages %}\n{% if m.role == 'system' %}\n{{ raise_exception('System role not supported') }}\n{% endif %}\n{% endfor %}"
        let messages = JinjaValue.list([.dict(JinjaDict([("role", .string("system")), ("content", .string("hi"))]))])
        let e = error(source, JinjaDict([("messages", messages)]))
        #expect(e?.message == "System role not supported")
        #expect(e?.raisedByTemplate == true)
        #expect(e?.line == 3)
    }

    @Test("an attribute of an undefined value is an error naming what was undefined, as jinja2's UndefinedError")
    func attributeOfUndefinedIsAnError() {
        let e = error("{{ message.content }}")
        #expect(e?.message == "'message' is undefined")
        let d = JinjaDict([("record", .dict(JinjaDict([("a", .int(1))])))])
        #expect(error("\n{{ record.missing.deeper }}", d)?.message == "'dict object' has no attribute 'missing'")
        #expect(error("\n{{ record.missing.deeper }}", d)?.line == 2)
    }

    @Test("arithmetic on mismatched types fails as Python does instead of guessing")
    func typeErrors() {
        #expect(error("{{ 'a' + 1 }}")?.message == "unsupported operand type(s) for +: 'str' and 'int'")
        #expect(error("{{ 1 / 0 }}")?.message == "division by zero")
        #expect(error("{{ none | tojson }}") == nil)
        #expect(error("{{ missing | tojson }}")?.message == "Object of type Undefined is not JSON serializable")
        #expect(error("{% set x = [1] %}{{ x.append(2) }}")?.message.contains("unsafe") == true)
    }

    @Test("a namespace refuses underscore-prefixed attributes, as transformers' TemplateNamespace does")
    func namespaceRefusesDunder() {
        #expect(error("{% set ns = namespace(_x=1) %}")?.message.contains("underscore") == true)
        #expect(error("{% set ns = namespace() %}{% set ns._y = 1 %}")?.message.contains("underscore") == true)
    }

    @Test("a model folder without a chat template is a bad-file error naming the folder")
    func folderWithoutTemplate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-no-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("{\"eos_token\": \"</s>\"}".utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        #expect(throws: EngineError.badFile(path: dir.path, reason: "no chat template: neither chat_template.jinja nor a chat_template in tokenizer_config.json")) {
            try ChatTemplateRenderer.load(directory: dir)
        }
        try Data("{\"chat_template\": 3}".utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        #expect(throws: EngineError.self) { try ChatTemplateRenderer.load(directory: dir) }
    }
}
