import Foundation
import Models
import TestSupport
import Testing

/// The project's torch environment, when scripts/torch-env has made it.
enum TorchEnvironment {
    static let root = SharedPaths.repositoryRoot

    static var isAvailable: Bool { TorchVenv.isAvailable }

    static let skipReason = TorchVenv.skipReason

    /// A worker with one torch thread (a 2-core machine shared with other jobs; see torch_worker/README.md).
    static func worker() throws -> WorkerClient {
        try WorkerClient(WorkerLaunch.torchWorker(projectRoot: root, threads: 1))
    }
}
