// The `hilo` command line: one subcommand per file, listed here.
import ArgumentParser

@main
struct HiloCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hilo",
        abstract: "A self-hosted human-feedback server that runs the whole RLHF loop on one machine.",
        subcommands: [
            ServeCommand.self,
            AnnotatorsCommand.self,
            ImportCommand.self,
            ExportCommand.self,
            DBCommand.self,
            TrainCommand.self,
            GenerateCommand.self,
            SampleCommand.self,
            LogprobCommand.self,
            RewardCommand.self,
            EvalCommand.self,
            TokenizeCommand.self,
            TokenizerCommand.self,
            TemplateCommand.self,
            ModelCommand.self,
            ModelsCommand.self,
            DemoCommand.self,
            BenchCommand.self,
        ]
    )
}
