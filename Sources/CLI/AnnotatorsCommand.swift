// `hilo annotators add|list|disable|enable|link`: manage who can sign in, from the shell. Each new
// annotator (and `link`) prints a login link; the token in it is stored only as a hash, so this is
// the one time it is shown.
import ArgumentParser
import Foundation
import Hilo
import Store
import Support

struct AnnotatorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotators", abstract: "Add, list, disable or re-link the people who label.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Link.self])

    struct Common: ParsableArguments {
        @Option(help: "The SQLite database file.")
        var db: String = "hilo.db"
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an annotator and print their login link.")
        @Argument(help: "A unique name (1 to 100 characters).") var name: String
        @Flag(help: "Make them an admin.") var admin = false
        @Option(help: "The server's address as annotators reach it.") var url = "http://127.0.0.1:8080"
        @OptionGroup var common: Common

        func run() throws {
            let database = try openDatabase(common.db)
            let now = currentTimeMs()
            do {
                let (a, token) = try database.write { try LoginLinks.create($0, name: name, role: admin ? .admin : .annotator, now: now) }
                print("created \(a.role.rawValue) \(a.name) (id \(a.id)); login link (shown once):")
                print(LoginLinks.url(base: url, token: token))
            } catch let e as StoreError {
                printError("error: \(e)")
                throw ExitCode.failure
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List annotators: id, name, role, state, labels.")
        @OptionGroup var common: Common

        func run() throws {
            let database = try openDatabase(common.db)
            let rows = try database.read { c in
                let counts = try StatsRepository(c).labelCounts()
                return try AnnotatorRepository(c).all().map { ($0, counts[$0.id] ?? 0) }
            }
            print("id\tname\trole\tstate\tlabels")
            for (a, labels) in rows {
                let state = a.disabled ? "disabled" : a.hasToken ? "active" : "no-login"
                print("\(a.id)\t\(a.name)\t\(a.role.rawValue)\t\(state)\t\(labels)")
            }
        }
    }

    /// Finds an annotator by id or name.
    static func find(_ c: Connection, _ who: String) throws -> Annotator {
        if let id = Int64(who), let a = try AnnotatorRepository(c).byID(id) { return a }
        if let a = try AnnotatorRepository(c).byName(who) { return a }
        throw StoreError.notFound("no annotator named or numbered \(who)")
    }

    static func run(_ db: String, _ body: (Connection) throws -> String) throws {
        let database = try openDatabase(db)
        do { print(try database.write(body)) } catch let e as StoreError {
            printError("error: \(e)")
            throw ExitCode.failure
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an annotator: their link stops working and their sessions end.")
        @Argument(help: "Name or id.") var who: String
        @OptionGroup var common: Common
        func run() throws {
            try AnnotatorsCommand.run(common.db) { c in
                let a = try AnnotatorsCommand.find(c, who)
                try AnnotatorRepository(c).setDisabled(a.id, true)
                return "disabled \(a.name); their sessions are ended, their labels stay"
            }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled annotator again.")
        @Argument(help: "Name or id.") var who: String
        @OptionGroup var common: Common
        func run() throws {
            try AnnotatorsCommand.run(common.db) { c in
                let a = try AnnotatorsCommand.find(c, who)
                try AnnotatorRepository(c).setDisabled(a.id, false)
                return "enabled \(a.name)"
            }
        }
    }

    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a new login link for an annotator (the old link stops working).")
        @Argument(help: "Name or id.") var who: String
        @Option(help: "The server's address as annotators reach it.") var url = "http://127.0.0.1:8080"
        @OptionGroup var common: Common
        func run() throws {
            try AnnotatorsCommand.run(common.db) { c in
                let a = try AnnotatorsCommand.find(c, who)
                guard a.hasToken else { throw StoreError.invalid("\(a.name) holds imported or AI labels and cannot sign in") }
                return LoginLinks.url(base: url, token: try LoginLinks.renew(c, annotatorID: a.id, now: currentTimeMs()))
            }
        }
    }
}
