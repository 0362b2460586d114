import ArgumentParser
import Foundation
import Tasks
import Tensors

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "TaskVectorBench: in-context-learning task representations (SITE, LTV, FV, TV) on real models.",
        discussion: """
            `bench --all` runs the whole benchmark into results/, resumably (finished cells are skipped): \
            every default model (\(AllBenchmark.defaultModels.joined(separator: ", ")); fetched when absent) on \
            the 57 tasks × \(AllBenchmark.methods.map(\.rawValue).joined(separator: ", ")) with the papers' \
            settings, on every test item (--max-items N caps it at the first N of each task), then \
            SITE's head analysis (where the 57 tasks' SITE artifacts are on this machine), then the \
            regression benchmark, then the tables. `bench all --help` lists \
            its options (models, item cap, results folder and every sweep option of `bench run`).
            """,
        // The release, then the code the binary was built from (what result rows record).
        version: "0.1.0 (\(RunProvenance.codeVersion))",
        subcommands: [
            ModelsCommand.self, DoctorCommand.self, DatasetsCommand.self, TasksCommand.self, PromptCommand.self,
            LogitsCommand.self, GenerateCommand.self, TokenizeCommand.self, PerfCommand.self, RunCommand.self, RegressionCommand.self,
            TablesCommand.self, StatusCommand.self, CompareCommand.self, AblateCommand.self, HeadsCommand.self, WholeBenchmarkCommand.self,
        ],
        // `bench --all ...` lands here. The --all options live on this subcommand, never on the
        // root: ArgumentParser gives a root option every same-named flag of any subcommand.
        defaultSubcommand: WholeBenchmarkCommand.self
    )
}
