// `hilo eval`: blind evaluation campaigns and automatic measures from the command line.
//   hilo eval create --db hilo.db --a policy-v1 --b policy-v2 [--prompts 100] [--tag T]   (prepares it at once)
//   hilo eval show --db hilo.db 3 [--json]
//   hilo eval leaderboard --db hilo.db [--json]
//   hilo eval auto --a DIR --b DIR --reward DIR --prompts prompts.jsonl [--reference DIR] [--json]
import ArgumentParser
import Engine
import Foundation
import Hilo
import Store
import Support

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Blind evaluation campaigns, the leaderboard and automatic measures.",
        subcommands: [EvalCreateCommand.self, EvalShowCommand.self, EvalLeaderboardCommand.self, EvalAutoCommand.self])
}

/// Sampling options shared by `create` and `auto`.
struct EvalSamplingOptions: ParsableArguments {
    @Option(help: "Sampling temperature (both versions).") var temperature: Double = 1
    @Option(help: "Nucleus sampling mass; 1 disables.") var topP: Double = 0.95
    @Option(help: "Longest response in tokens.") var maxNewTokens: Int = 48
    @Flag(help: "Always take the most likely token.") var greedy = false
    @Option(help: "Seed of the sampling (and of the sides shown).") var seed: UInt64 = 1

    func validate() throws {
        guard temperature > 0, temperature <= 10 else { throw ValidationError("--temperature must be > 0 and at most 10") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be > 0 and at most 1") }
        guard (1...4096).contains(maxNewTokens) else { throw ValidationError("--max-new-tokens must be between 1 and 4096") }
    }

    var settings: PolicySampler.Settings {
        PolicySampler.Settings(temperature: temperature, topP: topP >= 1 ? nil : topP, maxNewTokens: maxNewTokens, greedy: greedy)
    }
}

struct EvalCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a campaign between two policy versions and prepare its comparisons.")

    @Option(help: "The SQLite database.") var db: String
    @Option(name: .customLong("a"), help: "The baseline version's name (A), e.g. policy-v1.") var a: String
    @Option(name: .customLong("b"), help: "The challenger version's name (B), e.g. policy-v2.") var b: String
    @Option(help: "At most this many prompts (default: the evaluation.prompts setting).") var prompts: Int?
    @Option(help: "Use prompts with this tag instead of the held-out ones.") var tag: String?
    @Option(help: "The campaign's name (default: \"A vs B\").") var name: String?
    @Flag(help: "Only create it; a running server's preparer generates the responses.") var noPrepare = false
    @OptionGroup var sampling: EvalSamplingOptions

    func run() throws {
        let database = try openDatabase(db)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let id: Int64
        do {
            id = try database.write { c in
                guard let va = try ModelRepository(c).byName(a) else { throw StoreError.invalid("--a: no model version named \"\(a)\"") }
                guard let vb = try ModelRepository(c).byName(b) else { throw StoreError.invalid("--b: no model version named \"\(b)\"") }
                return try Campaign.create(c, Campaign.Request(name: name, modelA: va.id, modelB: vb.id, prompts: prompts, tag: tag,
                                                               sampling: sampling.settings, seed: sampling.seed),
                                           now: now)
            }
        } catch let e as StoreError {
            throw ValidationError("\(e)")
        }
        guard !noPrepare else { print("campaign \(id) created; it is prepared by a running hilo serve"); return }
        printError("preparing campaign \(id): sampling both versions and scoring…")
        guard let campaign = try database.read({ try EvalRepository($0).campaign(id) }) else { throw ExitCode.failure }
        do {
            try CampaignPreparer.prepare(db: database, campaign: campaign, clock: { Int64(Date().timeIntervalSince1970 * 1000) })
        } catch {
            _ = try? database.write { try EvalRepository($0).setFailed(id, error: "\(error)") }
            printError("error: preparing campaign \(id) failed: \(error)")
            throw ExitCode.failure
        }
        print(try EvaluationReport.campaign(database, id: id).text)
    }
}

struct EvalShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "A campaign's result: B's wins, ties and losses, Wilson 95% intervals, sign test, automatic measures.")

    @Option(help: "The SQLite database.") var db: String
    @Argument(help: "The campaign id.") var id: Int64
    @Flag(help: "Print the API's JSON.") var json = false

    func run() throws {
        let database = try openDatabase(db)
        do {
            let report = try EvaluationReport.campaign(database, id: id)
            print(json ? String(decoding: report.json, as: UTF8.self) : report.text)
        } catch let e as StoreError {
            throw ValidationError("\(e)")
        }
    }
}

struct EvalLeaderboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard", abstract: "All policy versions by Bradley–Terry over every judged comparison, with bootstrap intervals.")

    @Option(help: "The SQLite database.") var db: String
    @Flag(help: "Print the API's JSON.") var json = false

    func run() throws {
        let report = try EvaluationReport.leaderboard(try openDatabase(db))
        print(json ? String(decoding: report.json, as: UTF8.self) : report.text)
    }
}

struct EvalAutoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auto", abstract: "Automatic measures between two policy folders on a prompt file (no database).",
        discussion: "Samples --samples-per-prompt responses per prompt from each folder (same settings and seed), scores them with the reward folder, and with --reference measures each policy's KL to it. B is the challenger.")

    @Option(name: .customLong("a"), help: "The baseline policy folder (A).") var a: String
    @Option(name: .customLong("b"), help: "The challenger policy folder (B).") var b: String
    @Option(help: "The reward model folder.") var reward: String
    @Option(help: "JSONL, one {\"prompt\": \"…\"} per line.") var prompts: String
    @Option(help: "The reference policy folder, for KL.") var reference: String?
    @Option(help: "Use at most this many prompts.") var limit: Int?
    @Option(help: "Answers per prompt and side; answer k of A is compared with answer k of B (the loop's automatic promotion uses evaluation.samples_per_prompt, 16).") var samplesPerPrompt: Int = 1
    @Option(help: "Write both sides' responses as JSONL here.") var responses: String?
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var sampling: EvalSamplingOptions

    func run() throws {
        var texts = try Self.readPrompts(prompts)
        if let limit { texts = Array(texts.prefix(max(0, limit))) }
        guard !texts.isEmpty else { throw ValidationError("--prompts: the file has no prompts") }
        guard (1...1000).contains(samplesPerPrompt) else { throw ValidationError("--samples-per-prompt must be between 1 and 1000") }
        let url = { (p: String) in URL(fileURLWithPath: p) }
        let report = try AutomaticEvaluation.run(a: url(a), b: url(b), reward: url(reward), reference: reference.map(url), prompts: texts,
                                                 settings: sampling.settings, seed: sampling.seed, samplesPerPrompt: samplesPerPrompt)
        if let responses {
            var out = ""
            for i in report.responsesA.indices {
                let row = ["prompt": texts[i / samplesPerPrompt], "a": report.responsesA[i], "b": report.responsesB[i]]
                out += String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self) + "\n"
            }
            try AtomicFile.write(Data(out.utf8), to: url(responses))
        }
        if json {
            print(report.measures.json)
        } else {
            print(EvaluationReport.measureLines(report.measures, a: "A", b: "B").joined(separator: "\n"))
        }
    }

    /// The prompts of a JSONL file: each line an object with a string "prompt" (or "text").
    static func readPrompts(_ path: String) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw ValidationError("--prompts: cannot read \(path)") }
        var out: [String] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
                  let text = (object["prompt"] ?? object["text"]) as? String, !text.isEmpty else {
                throw ValidationError("--prompts: line \(n + 1) is not an object with a non-empty string \"prompt\"")
            }
            out.append(text)
        }
        return out
    }
}
