// The `hilo` command line: one subcommand per file, listed here.
import ArgumentParser

@main
struct HiloCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hilo",
        abstract: "A self-hosted human-feedback server that runs the whole RLHF loop on one machine.",
        subcommands: [
            ServeCommand.self,
            ImportCommand.self,
            ExportCommand.self,
            DBCommand.self,
            ModelCommand.self,
            AnnotatorsCommand.self,
        ]
    )
}
