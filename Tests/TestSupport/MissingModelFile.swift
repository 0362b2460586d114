import Foundation

/// A real model a test reads is not in the models folder.
public struct MissingModelFile: Error, CustomStringConvertible {
    public let path: String

    public init(path: String) { self.path = path }

    public var description: String {
        "model file \(path) is missing: scripts/test fetches the default models before the tests "
            + "(or run `bench models fetch smollm2-135m gemma3-270m`; $BENCH_MODELS names another folder)"
    }
}

extension SharedPaths {
    /// `file` when it exists, else `MissingModelFile` saying how to fetch it.
    public static func requireModel(_ file: URL) throws -> URL {
        guard FileManager.default.fileExists(atPath: file.path) else { throw MissingModelFile(path: file.path) }
        return file
    }
}
