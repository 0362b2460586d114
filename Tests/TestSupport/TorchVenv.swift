import Foundation
import Testing

/// The project's torch environment (.venv-torch), when scripts/torch-env has made it: the tests
/// that start the worker run only then.
public enum TorchVenv {
    public static let python = SharedPaths.repositoryRoot.appendingPathComponent(".venv-torch/bin/python")

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: python.path) }

    public static let skipReason: Comment =
        "no .venv-torch/bin/python: run scripts/torch-env (scripts/test-torch-worker makes it and runs these tests)"
}
