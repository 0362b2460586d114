import Foundation

/// Why a results file could not be read or written (a file that reads but does not parse as
/// rows throws `CSVError`).
enum ResultStoreError: Error, CustomStringConvertible, Equatable {
    /// A file that could not be read, written or renamed.
    case io(path: String, reason: String)

    var description: String {
        switch self {
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}
