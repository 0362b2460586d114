import Foundation
import ArgumentParser
import Models
import Testing
@testable import Bench

/// `bench run`'s backend options: torch-only flags need `--backend torch`, 4-bit needs a GPU,
/// and the torch settings that change numbers name the result rows.
@Suite struct BackendOptionsTests {
    /// The message `bench run --tasks antonym <arguments>` is refused with; nil when they parse.
    static func refusal(_ arguments: [String]) -> String? { SweepOptionsTests.refusal(arguments) }

    @Test(arguments: [
        (["--device", "cuda"], "--device needs --backend torch"),
        (["--dtype", "bfloat16"], "--dtype needs --backend torch"),
        (["--load-in-4bit"], "--load-in-4bit needs --backend torch"),
        (["--device-map", "auto"], "--device-map needs --backend torch"),
        (["--worker-threads", "1"], "--worker-threads needs --backend torch"),
        (["--worker-python", "/usr/bin/python3"], "--worker-python needs --backend torch"),
        (["--backend", "torch", "--load-in-4bit", "--device", "cpu"], "--load-in-4bit needs a CUDA GPU"),
        (["--backend", "torch", "--device-map", "everywhere"], "--device-map must be auto, balanced or sequential"),
        (["--backend", "torch", "--max-memory", "0=70GiB"], "--max-memory bounds --device-map"),
        (["--backend", "torch", "--device-map", "auto", "--max-memory", "70GiB"], "is not DEVICE=AMOUNT"),
        (["--backend", "torch", "--worker-threads", "0"], "--worker-threads must be at least 1"),
        (["--backend", "gpu"], "gpu"),
    ])
    func badCombinationsAreRefusedBeforeRunning(arguments: [String], expected: String) throws {
        let message = try #require(Self.refusal(arguments), "\(arguments) parsed")
        #expect(message.contains(expected), "\(message)")
    }

    @Test func torchOptionsParseIntoLoadOptionsAndRowSettings() throws {
        let command = try #require(try BenchCommand.parseAsRoot([
            "run", "--tasks", "antonym", "--backend", "torch", "--device", "cuda", "--dtype", "bfloat16", "--load-in-4bit",
            "--device-map", "auto", "--max-memory", "0=75GiB, 1=75GiB, cpu=100GiB", "--worker-threads", "4",
        ]) as? RunCommand)
        let options = command.backend.loadOptions
        #expect(options == TorchLoadOptions(
            device: .cuda, dtype: .bfloat16, loadIn4bit: true, deviceMap: "auto",
            maxMemory: ["0": "75GiB", "1": "75GiB", "cpu": "100GiB"], threads: 4))
        #expect(options.settings == ["backend": "torch", "device": "cuda", "dtype": "bfloat16", "load_in_4bit": "true"])
    }

    /// --worker-python starts the worker with that interpreter (relative to the project root),
    /// else with the project's environment; one that is not there is refused naming the file.
    @Test func theWorkerPythonIsTheGivenInterpreterOrTheProjectEnvironment() throws {
        let root = URL(fileURLWithPath: "/work/project", isDirectory: true)
        func launch(_ extra: [String]) throws -> WorkerLaunch {
            let command = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "antonym", "--backend", "torch"] + extra) as? RunCommand)
            return command.backend.workerLaunch(projectRoot: root)
        }
        #expect(try launch([]).executable.path == "/work/project/.venv-torch/bin/python")
        #expect(try launch(["--worker-python", "/opt/conda/bin/python"]).executable.path == "/opt/conda/bin/python")
        #expect(try launch(["--worker-python", "envs/gpu/bin/python"]).executable.path == "/work/project/envs/gpu/bin/python")
        let missing = try launch(["--worker-python", "/nonexistent/env/bin/python", "--worker-timeout", "5"])
        #expect(missing.requestTimeout == 5 && missing.arguments == ["-m", "torch_worker"])
        #expect(throws: WorkerError.cannotStart(
            "/nonexistent/env/bin/python is not an executable file (scripts/torch-env creates .venv-torch; --worker-python names another Python)"
        )) { _ = try WorkerClient(missing) }
    }

    /// Every command that computes with a model takes the backend options, with the same rules.
    @Test(arguments: [
        (["logits", "--prompt", "x"], ["--device", "cuda"], "--device needs --backend torch"),
        (["generate", "--prompt", "x"], ["--dtype", "bfloat16"], "--dtype needs --backend torch"),
        (["ablate"], ["--worker-threads", "2"], "--worker-threads needs --backend torch"),
        (["heads"], ["--load-in-4bit"], "--load-in-4bit needs --backend torch"),
        (["ablate"], ["--backend", "torch", "--compute", "bfloat16"], "--compute bfloat16 is the native engine's"),
        (["heads"], ["--backend", "torch", "--compute", "bfloat16"], "--compute bfloat16 is the native engine's"),
    ])
    func everyModelCommandTakesTheBackendOptions(command: [String], extra: [String], expected: String) throws {
        do {
            _ = try BenchCommand.parseAsRoot(command + extra)
            Issue.record("\(command + extra) parsed")
        } catch {
            let message = BenchCommand.message(for: error)
            #expect(message.contains(expected), "\(message)")
        }
        let parsed = try BenchCommand.parseAsRoot(command + ["--backend", "torch", "--device", "cuda", "--worker-threads", "3"])
        let options: BackendOptions? = switch parsed {
        case let c as LogitsCommand: c.backend
        case let c as GenerateCommand: c.backend
        case let c as AblateCommand: c.backend
        case let c as HeadsCommand: c.backend
        default: nil
        }
        #expect(options?.loadOptions == TorchLoadOptions(device: .cuda, threads: 3), "\(command[0])")
    }

    @Test func theNativeEngineIsTheDefaultAndAddsNoSettings() throws {
        let command = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "antonym"]) as? RunCommand)
        #expect(command.backend.backend == .native)
        #expect(Self.refusal([]) == nil)
    }
}
