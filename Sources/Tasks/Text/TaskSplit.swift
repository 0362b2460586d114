/// The three splits every text task ships (70/9/21 of the Function Vectors data).
public enum TaskSplit: String, CaseIterable, Codable, Sendable {
    case train, valid, test

    /// Parses "train", "valid" or "test" (also "validation"), throwing on anything else.
    public init(parsing name: String) throws {
        switch name.lowercased() {
        case "train": self = .train
        case "valid", "validation": self = .valid
        case "test": self = .test
        default: throw TaskError.unknownSplit(name: name)
        }
    }

    /// The file name inside a task's folder, e.g. `train.json`.
    public var fileName: String { rawValue + ".json" }
}
