import ArgumentParser
import Tensors

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "TaskVectorBench: in-context-learning task representations (SITE, LTV, FV, TV) on real models.",
        version: "0.1.0",
        subcommands: [
            ModelsCommand.self, DoctorCommand.self, DatasetsCommand.self, TasksCommand.self, PromptCommand.self,
            LogitsCommand.self, GenerateCommand.self, TokenizeCommand.self, PerfCommand.self, RunCommand.self, RegressionCommand.self,
            AblateCommand.self, HeadsCommand.self,
        ]
    )
}
