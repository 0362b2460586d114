import Foundation
import Models
import TestSupport
import Testing

/// The project's torch environment, when scripts/torch-env has made it.
enum TorchEnvironment {
    static let root = SharedPaths.repositoryRoot
    static let python = root.appendingPathComponent(".venv-torch/bin/python")

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: python.path) }

    static let skipReason: Comment = "no .venv-torch/bin/python: run scripts/torch-env (scripts/test-torch-worker makes it and runs these tests)"

    /// A worker with one torch thread (a 2-core machine shared with other jobs; see torch_worker/README.md).
    static func worker() throws -> WorkerClient {
        try WorkerClient(WorkerLaunch.torchWorker(projectRoot: root, threads: 1))
    }
}
