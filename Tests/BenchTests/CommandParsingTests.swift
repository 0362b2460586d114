import ArgumentParser
import Foundation
import Models
import Testing
@testable import Bench

@Suite struct CommandParsingTests {
    @Test func versionNamesTheCodeTheBinaryWasBuiltFrom() {
        do {
            _ = try BenchCommand.parseAsRoot(["--version"])
            Issue.record("--version parsed as a command")
        } catch {
            #expect(BenchCommand.message(for: error) == "0.1.0 (\(RunProvenance.codeVersion))")
        }
    }

    @Test func modelsDefaultsToList() throws {
        let command = try BenchCommand.parseAsRoot(["models"])
        #expect(command is ModelsCommand.List)
    }

    @Test func modelsListTakesTheModelsFolder() throws {
        let command = try #require(try BenchCommand.parseAsRoot(["models", "list", "--models-dir", "/data/m"]) as? ModelsCommand.List)
        #expect(command.location.modelsDirectory == "/data/m")
        #expect(command.location.store().directory.path == "/data/m")
    }

    @Test func modelsFetchTakesNames() throws {
        let command = try #require(
            try BenchCommand.parseAsRoot(["models", "fetch", "smollm2-135m", "gemma3-270m", "--models-dir", "m"])
                as? ModelsCommand.Fetch)
        #expect(command.names == ["smollm2-135m", "gemma3-270m"])
        #expect(command.location.store().directory.path
            == URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("m").standardizedFileURL.path)
    }

    @Test func modelsFetchRefusesNoNameAndUnknownNames() {
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["models", "fetch"]) }
        do {
            _ = try BenchCommand.parseAsRoot(["models", "fetch", "smollm2-135m", "gpt-5"])
            Issue.record("an unknown model name parsed")
        } catch {
            let message = BenchCommand.message(for: error)
            #expect(message.contains("unknown model 'gpt-5'"))
            #expect(message.contains("smollm2-135m, gemma3-270m"))
        }
    }

    @Test func doctorTakesThreadsAndModelsFolder() throws {
        let command = try #require(
            try BenchCommand.parseAsRoot(["doctor", "--threads", "3", "--models-dir", "/x", "--no-baseline"]) as? DoctorCommand)
        #expect(command.threadOptions.threads == 3)
        #expect(command.threadOptions.resolvedThreads == 3)
        #expect(command.location.modelsDirectory == "/x")
        #expect(command.noBaseline)
        #expect(command.probeSGEMM == nil)
    }

    @Test func threadsDefaultToTheAvailableCores() throws {
        let command = try #require(try BenchCommand.parseAsRoot(["doctor"]) as? DoctorCommand)
        #expect(command.threadOptions.threads == nil)
        #expect(command.threadOptions.resolvedThreads == ProcessInfo.processInfo.activeProcessorCount)
        #expect(!command.noBaseline)
    }

    @Test(arguments: [["doctor", "--threads", "0"], ["doctor", "--threads", "-2"], ["doctor", "--threads", "many"],
                      ["doctor", "--probe-sgemm", "0"], ["doctor", "--probe-sgemm", "100000"]])
    func badNumbersAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(arguments) }
    }

    @Test func helpMentionsTheOptions() {
        let root = BenchCommand.helpMessage()
        #expect(root.contains("models"))
        #expect(root.contains("doctor"))

        let doctor = BenchCommand.helpMessage(for: DoctorCommand.self)
        #expect(doctor.contains("--threads"))
        #expect(doctor.contains("--models-dir"))
        #expect(doctor.contains("--no-baseline"))
        #expect(doctor.contains("SGEMM"))
        #expect(!doctor.contains("--probe-sgemm"), "the child-process option stays hidden")

        let fetch = BenchCommand.helpMessage(for: ModelsCommand.Fetch.self)
        #expect(fetch.contains("--models-dir"))
        #expect(fetch.contains("$BENCH_MODELS"))
        #expect(fetch.contains("<names>"))

        let list = BenchCommand.helpMessage(for: ModelsCommand.List.self)
        #expect(list.contains("--models-dir"))
    }

    /// Every command, subcommands included, reached from the root.
    static func allCommands(_ root: ParsableCommand.Type = BenchCommand.self) -> [ParsableCommand.Type] {
        [root] + root.configuration.subcommands.flatMap { allCommands($0) }
    }

    /// A discussion is wrapped by the help output itself: a line break inside a paragraph would
    /// show up as a break mid-sentence (`bench perf --help`, `bench run --help` had them).
    @Test func discussionsBreakOnlyBetweenParagraphs() {
        let commands = Self.allCommands()
        #expect(commands.count > 20)
        for command in commands {
            let discussion = command.configuration.discussion
            #expect(!discussion.replacingOccurrences(of: "\n\n", with: "").contains("\n"),
                    "\(command): a line break inside a paragraph of its discussion")
        }
        let perf = BenchCommand.helpMessage(for: PerfCommand.self, columns: 1000)
        #expect(perf.contains("asks for the last position's logits only; decode continues prompts of 32 tokens"))
    }
}

@Suite struct DoctorPartsTests {
    @Test func gflopsCountsTwoFlopsPerMultiplyAdd() {
        #expect(SGEMMMeasurement(size: 1000, seconds: 2).gflops == 1)
        #expect(SGEMMMeasurement(size: 512, seconds: 0.001).gflops == 2 * 512 * 512 * 512 / 1e6)
    }

    @Test func measuringASmallProductGivesAFiniteRate() {
        let measurement = SGEMMMeasurement.measure(size: 64, repeats: 2)
        #expect(measurement.size == 64)
        #expect(measurement.seconds > 0 && measurement.seconds < 1)
        #expect(measurement.gflops.isFinite)
        let bfloat16 = SGEMMMeasurement.measureBFloat16(size: 64, repeats: 2)
        #expect(bfloat16.size == 64 && bfloat16.seconds > 0 && bfloat16.seconds < 1 && bfloat16.gflops.isFinite)
    }

    @Test(arguments: [(0, "0 B"), (999, "999 B"), (1_500, "1.5 kB"), (98_362_432, "98.4 MB"), (2_530_000_000, "2.53 GB")]
        as [(UInt64, String)])
    func byteSizes(bytes: UInt64, text: String) {
        #expect(formatBytes(bytes) == text)
    }
}

@Suite struct ModelStatusLineTests {
    @Test func absentAndMismatchedModelsAreNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tvb-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = ModelStore(directory: directory)
        let smol = try ModelCatalog.standard.spec(named: "smollm2-135m")
        #expect(modelStatusLine(store, smol)
            == "smollm2-135m  absent      \(directory.path)/SmolLM2-135M-Instruct.Q4_1.gguf  (bench models fetch smollm2-135m)")

        try Data("tampered".utf8).write(to: store.path(of: smol))
        #expect(modelStatusLine(store, smol) == "smollm2-135m  MISMATCH    \(directory.path)/SmolLM2-135M-Instruct.Q4_1.gguf  8 B  "
            + "sha256 d121be3103007b41edf96f8262925f8c7d61894afe9a041843b631f69445bc57, expected \(smol.sha256)")
    }
}

/// The root command declares the sweep, thread and model-folder options for `--all`; a subcommand
/// declaring the same flags must still receive them.
@Suite struct RootOptionsDoNotSwallowSubcommandOptions {
    @Test func subcommandsKeepTheirSharedFlags() throws {
        let logits = try #require(try BenchCommand.parseAsRoot(
            ["logits", "--models-dir", "/m", "--threads", "1", "--prompt", "x"]) as? LogitsCommand)
        #expect(logits.model.location.modelsDirectory == "/m")
        #expect(logits.threads.threads == 1)
        let run = try #require(try BenchCommand.parseAsRoot(
            ["run", "--tasks", "antonym", "--max-items", "7", "--seed", "3", "--threads", "1", "--models-dir", "/m"]) as? RunCommand)
        #expect(run.sweep.maxItems == 7 && run.sweep.seeds == "3" && run.threads.threads == 1 && run.location.modelsDirectory == "/m")
        let ablate = try #require(try BenchCommand.parseAsRoot(["ablate", "--max-items", "5", "--seed", "2"]) as? AblateCommand)
        #expect(ablate.sweep.maxItems == 5 && ablate.sweep.seeds == "2")
    }

    /// Options that share a flag with `--all`'s sweep options under another name once went to the
    /// root silently (`regression speed --batch-size 4` trained with 64).
    @Test func flagsNamedLikeTheSweepOptionsReachTheirSubcommand() throws {
        let speed = try #require(try BenchCommand.parseAsRoot(
            ["regression", "speed", "--batch-size", "4", "--dims", "5", "--threads", "1"]) as? RegressionCommand.Speed)
        #expect(speed.shape.batchSize == 4 && speed.shape.dims == 5)
        let train = try #require(try BenchCommand.parseAsRoot(
            ["regression", "train", "--steps", "10", "--seed", "3", "--batch-size", "8"]) as? RegressionCommand.Train)
        #expect(train.seed == 3 && train.shape.batchSize == 8)
        let steer = try #require(try BenchCommand.parseAsRoot(
            ["regression", "steer", "--checkpoint", "m.safetensors", "--seed", "5", "--steps", "7"]) as? RegressionCommand.Steer)
        #expect(steer.seed == 5 && steer.steps == 7)
        // The per-prompt protocol is the default; the pooled one is a named variant.
        #expect(steer.protocol == .perPrompt && steer.prompts == nil)
        let pooled = try #require(try BenchCommand.parseAsRoot(
            ["regression", "steer", "--checkpoint", "m.safetensors", "--protocol", "pooled", "--prompts", "9"]) as? RegressionCommand.Steer)
        #expect(pooled.protocol == .pooled && pooled.prompts == 9)
        let perPrompt = try #require(try BenchCommand.parseAsRoot(
            ["regression", "steer", "--checkpoint", "m.safetensors", "--epochs", "3", "--pool-batches", "6", "--stride", "4"]) as? RegressionCommand.Steer)
        let settings = perPrompt.perPromptSettings()
        #expect(settings.epochs == 3 && settings.poolBatches == 6 && settings.evaluationStride == 4 && settings.evaluationPrompts == 128)
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["regression", "steer", "--checkpoint", "m", "--protocol", "mean"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["regression", "steer", "--checkpoint", "m", "--stride", "0"]) }
    }

    @Test func aBareBenchIsTheRootHelpAndAllIsTheDefault() throws {
        let bare = try #require(try BenchCommand.parseAsRoot([]) as? WholeBenchmarkCommand)
        #expect(!bare.all)
        #expect(throws: (any Error).self) { try bare.run() }
        #expect(BenchCommand.helpMessage().contains("bench --all"))
    }
}

@Suite struct AllCommandParsing {
    @Test func allItemsAndMaxItemsAreOptionsOfAll() throws {
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["--all-items"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["--all", "--all-items", "--max-items", "3"]) }
        let command = try #require(try BenchCommand.parseAsRoot(["--all", "--all-items"]) as? WholeBenchmarkCommand)
        #expect(command.allItems && command.sweep.maxItems == nil)
        // Every test item is the default; --max-items caps it.
        let plain = try #require(try BenchCommand.parseAsRoot(["--all"]) as? WholeBenchmarkCommand)
        #expect(!plain.allItems && plain.sweep.maxItems == nil)
        let capped = try #require(try BenchCommand.parseAsRoot(["--all", "--max-items", "50"]) as? WholeBenchmarkCommand)
        #expect(capped.sweep.maxItems == 50)
    }
}
