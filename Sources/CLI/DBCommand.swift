// `hilo db check|stats|migrate`: maintenance of the SQLite database.
import ArgumentParser
import Foundation
import Store

struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Check, migrate or summarise the database.",
        subcommands: [Check.self, Stats.self, Migrate.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run SQLite's integrity check and Hilo's consistency checks; exit 1 on any problem.")
        @Option(help: "The SQLite database file.") var db: String = "hilo.db"

        func run() throws {
            let database = try openExisting(db)
            let problems = try database.check()
            if problems.isEmpty { print("\(db): ok (schema version \(try database.schemaVersion()))"); return }
            for p in problems { print("\(db): \(p)") }
            throw ExitCode.failure
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Row counts and inter-annotator agreement.")
        @Option(help: "The SQLite database file.") var db: String = "hilo.db"
        @Flag(help: "Count AI (RLAIF) labels in the agreement too.") var includeAI = false

        func run() throws {
            let database = try openExisting(db)
            let (counts, agreement) = try database.read { c in
                (try StatsRepository(c).counts(), try StatsRepository(c).agreement(includeAI: includeAI))
            }
            for (table, rows) in counts { print("\(table): \(rows)") }
            func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
            print("agreement: \(f(agreement.overall.percent)) over \(agreement.overall.comparisons) annotator pairs; Krippendorff's alpha (ordinal): \(f(agreement.overall.alpha))")
            for a in agreement.annotators.values.sorted(by: { $0.annotatorID < $1.annotatorID }) {
                print("  \(a.name): agreement \(f(a.percent)) over \(a.comparisons); alpha without them \(f(a.alphaWithout))")
            }
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or upgrade the database to this hilo's schema version.")
        @Option(help: "The SQLite database file.") var db: String = "hilo.db"

        func run() throws {
            let database = try openDatabase(db)
            print("\(db): schema version \(try database.schemaVersion())")
        }
    }
}

/// Opens a database that must already exist (check and stats never create one).
func openExisting(_ path: String) throws -> Database {
    guard FileManager.default.fileExists(atPath: path) else {
        printError("error: \(path): no such database")
        throw ExitCode.failure
    }
    return try openDatabase(path)
}
