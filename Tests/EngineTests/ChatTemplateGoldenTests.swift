// Every golden case: Hilo's Jinja engine must render each chat template (real ones from public model
// repos and Hilo's hand-made feature templates) byte for byte as transformers does, generation spans
// included, and must refuse with the same message where the template calls raise_exception.
import Foundation
import Testing
@testable import Engine

struct ChatTemplateGoldenTests {
    @Test("renders every golden conversation of the template exactly as transformers", arguments: TemplateGolden.shared.templateNames)
    func rendersLikeTransformers(template: String) throws {
        let golden = TemplateGolden.shared
        let source = try golden.source(template)
        let cases = golden.cases.filter { $0.template == template }
        #expect(!cases.isEmpty)
        var failures: [String] = []
        for c in cases {
            do {
                let r = try golden.render(c, source: source)
                if let error = c.error {
                    failures.append("\(c.label): expected raise_exception(\(pythonStringRepr(error))), rendered \(r.text.unicodeScalars.count) characters")
                } else if r.text != c.text! {
                    failures.append("\(c.label): \(firstDifference(c.text!, r.text))")
                } else if r.generationSpans != c.generation {
                    failures.append("\(c.label): generation spans \(r.generationSpans), expected \(c.generation)")
                }
            } catch let e as JinjaError {
                if let expected = c.error, e.raisedByTemplate, e.message == expected { continue }
                failures.append("\(c.label): threw \(e)\(c.error.map { ", expected raise_exception(\(pythonStringRepr($0)))" } ?? "")")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) cases differ:\n\(failures.prefix(8).joined(separator: "\n"))")
    }

    @Test("the golden file covers the real templates of Qwen2.5, Qwen3, Llama 3.x, SmolLM3, Mistral, Phi-3 and Gemma")
    func goldenCoversTheNamedFamilies() {
        let names = TemplateGolden.shared.templateNames
        for family in ["Qwen2.5", "Qwen3-0.6B", "Llama-3.1", "Llama-3.2", "Llama-3.3", "SmolLM3", "Mistral", "Phi-3", "gemma"] {
            #expect(names.contains { $0.contains(family) }, "no golden template for \(family)")
        }
    }
}
