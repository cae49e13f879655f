// `hilo models add|list`: the model versions a database knows (`hilo model` works on folders). `add`
// brings back a checkpoint trained elsewhere as a candidate that does not serve; an admin compares
// it with the serving version in a blind evaluation and promotes it (docs/scale-out.md).
import ArgumentParser
import Foundation
import Hilo
import Store

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Register and list the database's model versions.",
        subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a Hugging Face folder trained elsewhere as a candidate version (not serving).",
            discussion: """
                The folder is checked as `hilo serve --policy` checks one (config, weights, tokenizer), copied \
                into the models directory and registered without serving. A running server shows it on the \
                Models tab at once. Compare it in a blind evaluation (`hilo eval create`) and promote it there.
                """)

        @Argument(help: "The model folder (config.json, model.safetensors, tokenizer files).")
        var dir: String

        @Option(help: "policy (a causal language model) or reward (a sequence-classification model).")
        var kind: String

        @Option(help: "The version's name (default: the next policy-vN or reward-vN).")
        var name: String?

        @Option(help: "The SQLite database file.") var db: String = "hilo.db"

        @Option(help: "The models directory (default: <db>.models beside the database, as hilo serve uses).")
        var models: String?

        func run() throws {
            guard let modelKind = ModelKind(rawValue: kind), modelKind == .policy || modelKind == .reward else {
                throw ValidationError("--kind must be policy or reward, not \"\(kind)\"")
            }
            let database = try openExisting(db)
            let directory = models.map { URL(fileURLWithPath: $0) } ?? ModelStore.defaultDirectory(forDatabase: db)
            let store = try ModelStore(directory: directory, db: database)
            let version = try store.addCandidate(from: URL(fileURLWithPath: dir), kind: modelKind, name: name)
            print("registered \(version.name) (\(version.kind.rawValue), not serving) from \(dir) in \(directory.path)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the model versions: name, kind, serving, origin.")

        @Option(help: "The SQLite database file.") var db: String = "hilo.db"

        func run() throws {
            let database = try openExisting(db)
            for m in try database.read({ try ModelRepository($0).records() }) {
                let state = m.serving ? "serving" : m.pruned ? "pruned" : "candidate"
                let origin = m.runID.map { "training run \($0)" } ?? "registered"
                print("\(m.name)\t\(m.kind.rawValue)\t\(state)\t\(origin)\t\(m.path)")
            }
        }
    }
}
