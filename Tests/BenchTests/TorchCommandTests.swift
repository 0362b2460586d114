import ArgumentParser
import Foundation
import Methods
import Models
import Testing
import TestSupport
@testable import Bench

/// Commands on the torch worker: a worker killed in the middle of `bench run --backend torch`
/// (the cell it was answering fails with an error naming the request, the rows stored before it
/// stay, and a rerun runs only what is missing), and `bench logits` / `generate` on the worker.
@Suite(.enabled(if: TorchVenv.isAvailable, TorchVenv.skipReason), .serialized)
struct TorchCommandTests {
    /// A `--worker-python` stand-in: the project's worker, which kills itself (SIGKILL) on the
    /// second `generate` request, i.e. in the second task's zero-shot pass.
    static func dyingWorker(in folder: URL) throws -> URL {
        let script = folder.appendingPathComponent("dying_worker.py")
        try """
            import os, signal, sys
            from torch_worker import server
            from torch_worker.__main__ import main

            handle, seen = server.Worker.handle, []

            def dying(self, message):
                if message.header.get("op") == "generate":
                    seen.append(1)
                    if len(seen) == 2:
                        os.kill(os.getpid(), signal.SIGKILL)
                return handle(self, message)

            server.Worker.handle = dying
            sys.exit(main())
            """.write(to: script, atomically: true, encoding: .utf8)
        let python = folder.appendingPathComponent("python")
        try "#!/bin/sh\nexec '\(TorchVenv.python.path)' '\(script.path)'\n".write(to: python, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
        return python
    }

    @Test func aKilledWorkerFailsItsCellKeepsTheStoredRowsAndTheRerunResumes() throws {
        let root = try makeTemporaryDirectory("torch-sweep-kill")
        defer { try? FileManager.default.removeItem(at: root) }
        let results = root.appendingPathComponent("runs")
        func plan(_ extra: [String]) throws -> StoredSweep {
            let command = try #require(try BenchCommand.parseAsRoot([
                "run", "--model", SharedPaths.smolLM2.path, "--tasks", "capitalize,country-capital", "--methods", "zero-shot",
                "--max-items", "2", "--results", results.path, "--artifacts", root.appendingPathComponent("artifacts").path,
                "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path,
                "--backend", "torch", "--worker-threads", "1",
            ] + extra) as? RunCommand)
            var plan = try command.sweep.plan(
                models: command.models, modelStore: command.location.store(), tasks: try command.selectedTasks(),
                methods: try command.selectedMethods())
            plan.backend = command.backend
            return plan
        }
        let model = SharedPaths.smolLM2.deletingPathExtension().lastPathComponent

        let first = try plan(["--worker-python", try Self.dyingWorker(in: root).path]).run()
        #expect(first.ran == 1 && first.failedCells == 1, "\(first.summary)")
        let failure = try #require(first.failures.first)
        #expect(failure.cell.contains("country-capital"), "\(failure.cell)")
        #expect(failure.reason.contains("torch worker: exited with status 9 during request") && failure.reason.contains("(generate)"),
                "\(failure.reason)")
        let stored = try ResultStore(directory: results, model: model).rows
        #expect(stored.map(\.task) == ["capitalize"])

        let second = try plan([]).run()
        #expect(second.ran == 1 && second.skipped == 1 && second.failedCells == 0, "\(second.summary)")
        let all = try ResultStore(directory: results, model: model).rows
        #expect(all.map(\.task) == ["capitalize", "country-capital"])
        #expect(all.first == stored.first)
    }

    /// `bench logits` and `bench generate` with `--backend torch` run on the worker: the same
    /// top tokens (logits within 1e-3) and the same greedy continuation as the native engine.
    @Test func logitsAndGenerateRunOnTheWorker() throws {
        let prompt = "Q: France\nA:"
        let logits = try #require(try BenchCommand.parseAsRoot([
            "logits", "--model", SharedPaths.smolLM2.path, "--prompt", prompt, "--backend", "torch", "--worker-threads", "1",
        ]) as? LogitsCommand)
        let (lm, torch) = try logits.model.loadOnBackend(logits.backend)
        #expect(torch.settings["backend"] == "torch")
        let native = NativeBackend(model: lm)
        let ids = lm.encode(prompt)
        let ours = try #require(try torch.forward([ids], plan: InterventionPlan(), logits: .last).logits).scalars
        let reference = try #require(try native.forward([ids], plan: InterventionPlan(), logits: .last).logits).scalars
        let top = reference.indices.sorted { reference[$0] > reference[$1] }.prefix(20)
        #expect(top.allSatisfy { abs(ours[$0] - reference[$0]) < 1e-3 }, "top-20 logits differ by more than 1e-3")
        let options = GenerationOptions(maxNewTokens: 8, suppressEndOfSequenceAtFirstStep: false)
        let greedy = try torch.generate([ids], options: options, plan: { _ in InterventionPlan() })
        #expect(greedy.map(\.tokens) == (try native.generate([ids], options: options, plan: { _ in InterventionPlan() })).map(\.tokens))
    }
}
