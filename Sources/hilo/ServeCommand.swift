// `hilo serve`: runs the annotation server and the retraining loop.
import ArgumentParser
import Engine
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the annotation UI, the JSON API and the retraining loop.")

    @Option(help: "The SQLite database file (created on first start).")
    var db: String = "hilo.db"

    @Option(help: "The address to bind; use :: for IPv6.")
    var host: String = "127.0.0.1"

    @Option(help: "The TCP port.")
    var port: Int = 8080

    func run() async throws {
        print(BLASInfo.current().logLine)
        throw ValidationError("the HTTP server is not built yet (issue 3)")
    }
}
