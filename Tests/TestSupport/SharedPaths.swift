import Foundation

/// Locations of the read-only fixtures in `../shared` and of fetched models.
public enum SharedPaths {
    /// The repository root, found from this file's path (Tests/TestSupport/SharedPaths.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the repository, or `$TVB_SHARED` when set.
    public static var shared: URL {
        if let override = ProcessInfo.processInfo.environment["TVB_SHARED"] {
            return URL(fileURLWithPath: override)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    public static var reference: URL { shared.appendingPathComponent("reference") }

    /// The models directory: `$BENCH_MODELS`, else `<repo>/models`.
    public static var models: URL {
        if let override = ProcessInfo.processInfo.environment["BENCH_MODELS"] {
            return URL(fileURLWithPath: override)
        }
        return repositoryRoot.appendingPathComponent("models")
    }

    public static var smolLM2: URL { models.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf") }
    public static var gemma3: URL { models.appendingPathComponent("gemma-3-270m-q4_k_m.gguf") }
}
