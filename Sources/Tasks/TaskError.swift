/// Errors raised while reading task files, provisioning datasets or building prompts.
///
/// Every case carries the file, task or item it is about, so a message alone tells the user
/// what to fix.
public enum TaskError: Error, Equatable, CustomStringConvertible {
    /// No task of that name (either spelling, `country_capital` or `country-capital`).
    case unknownTask(name: String, known: [String])
    /// A split name other than train, valid or test.
    case unknownSplit(name: String)
    /// A task file that should exist does not.
    case missingFile(path: String)
    /// A file exists but could not be read (permissions, a directory in its place, ...).
    case unreadableFile(path: String, reason: String)
    /// A file larger than any task file can plausibly be (guards against reading garbage).
    case fileTooLarge(path: String, bytes: Int, limit: Int)
    /// The file is not a JSON array of items.
    case malformedFile(path: String, reason: String)
    /// One item of a task file is not `{"input": string, "output": string or integer}`.
    case malformedItem(path: String, index: Int, reason: String)
    /// An item index outside a split.
    case itemOutOfRange(task: String, split: String, index: Int, count: Int)
    /// More demonstrations requested than the split can give without repeating.
    case notEnoughItems(task: String, split: String, requested: Int, available: Int)
    /// tokenize(prompt + target) is not longer than tokenize(prompt): no target token exists.
    case targetAddsNoToken(prompt: String, target: String, promptTokens: Int, fullTokens: Int)
    /// `datasets/manifest.json` is missing, not JSON, or inconsistent.
    case invalidManifest(path: String, reason: String)
    /// A file's size differs from the manifest (truncated or padded).
    case sizeMismatch(path: String, expected: Int, found: Int)
    /// A file's SHA-256 differs from the manifest (tampered or corrupted).
    case checksumMismatch(path: String, expected: String, found: String)
    /// A download failed (network error or HTTP status other than 200).
    case downloadFailed(url: String, reason: String)
    /// Writing a file into the data directory failed.
    case writeFailed(path: String, reason: String)
    /// A function-regression setup that cannot be sampled (sizes, shift parameters).
    case invalidRegressionSetup(reason: String)

    public var description: String {
        switch self {
        case .unknownTask(let name, let known):
            return "unknown task '\(name)' (\(known.count) known, e.g. \(known.prefix(4).joined(separator: ", ")); "
                + "run `bench tasks list`)"
        case .unknownSplit(let name):
            return "unknown split '\(name)': expected train, valid or test"
        case .missingFile(let path):
            return "missing file \(path) (task files are provisioned by `bench datasets fetch`)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .fileTooLarge(let path, let bytes, let limit):
            return "\(path) is \(bytes) bytes, more than the \(limit)-byte limit for a task file"
        case .malformedFile(let path, let reason):
            return "\(path) is not a JSON array of task items: \(reason)"
        case .malformedItem(let path, let index, let reason):
            return "\(path), item \(index): \(reason)"
        case .itemOutOfRange(let task, let split, let index, let count):
            return "item \(index) is out of range for \(task)/\(split) (\(count) items)"
        case .notEnoughItems(let task, let split, let requested, let available):
            return "\(task)/\(split) has \(available) items available for demonstrations, \(requested) requested"
        case .targetAddsNoToken(let prompt, let target, let promptTokens, let fullTokens):
            return "target \(String(reflecting: target)) adds no token to the prompt "
                + "(\(promptTokens) prompt tokens, \(fullTokens) with the target; prompt ends "
                + "\(String(reflecting: String(prompt.suffix(40)))))"
        case .invalidManifest(let path, let reason):
            return "invalid dataset manifest \(path): \(reason)"
        case .sizeMismatch(let path, let expected, let found):
            return "refusing \(path): \(found) bytes, the manifest says \(expected) (truncated or altered)"
        case .checksumMismatch(let path, let expected, let found):
            return "refusing \(path): sha256 \(found), the manifest says \(expected) (tampered or corrupted)"
        case .downloadFailed(let url, let reason):
            return "download of \(url) failed: \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .invalidRegressionSetup(let reason):
            return "invalid regression setup: \(reason)"
        }
    }
}
