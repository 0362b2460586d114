import Foundation

/// One of the 57 text tasks: its canonical name (the folder name of its files) and the rules
/// that belong to it, so that no generic loop ever tests a task's name.
public struct TextTask: Hashable, Sendable {
    /// The file-name spelling, e.g. `country-capital`, `word_length`.
    public let name: String
    /// Scoring keeps letter case (tasks whose answer *is* a case change:
    /// capitalize*, lowercase*). Every other task compares lower-cased strings.
    public let preservesCase: Bool
    /// How demonstrations and the query are written.
    public let promptFormat: PromptFormat

    public init(name: String, preservesCase: Bool, promptFormat: PromptFormat = .site) {
        self.name = name
        self.preservesCase = preservesCase
        self.promptFormat = promptFormat
    }

    /// The exact-match rules of this task.
    public var answerScorer: AnswerScorer { AnswerScorer(preservesCase: preservesCase) }

    /// Reads one split of this task from a data directory.
    /// - Throws: `TaskError.missingFile`, `.malformedFile` or `.malformedItem` (file and index).
    public func load(_ split: TaskSplit, from directory: DataDirectory) throws -> [TaskItem] {
        try TaskFileReader.read(directory.fileURL(task: name, split: split))
    }

    /// Reads all three splits.
    /// - Throws: as `load(_:from:)`, for the first split that fails; `TaskError.malformedFile`
    ///   for a test split without items (its accuracy would be a 0 over nothing).
    public func loadSplits(from directory: DataDirectory) throws -> TaskSplits {
        let test = try load(.test, from: directory)
        guard !test.isEmpty else {
            throw TaskError.malformedFile(path: directory.fileURL(task: name, split: .test).path, reason: "the test split holds no items")
        }
        return TaskSplits(train: try load(.train, from: directory), valid: try load(.valid, from: directory), test: test)
    }
}

/// The three splits of one task, as read from its files.
public struct TaskSplits: Equatable, Sendable {
    public var train: [TaskItem]
    public var valid: [TaskItem]
    public var test: [TaskItem]

    public init(train: [TaskItem], valid: [TaskItem], test: [TaskItem]) {
        self.train = train
        self.valid = valid
        self.test = test
    }

    public subscript(split: TaskSplit) -> [TaskItem] {
        switch split {
        case .train: return train
        case .valid: return valid
        case .test: return test
        }
    }

    /// Item counts in train, valid, test order.
    public var counts: [Int] { TaskSplit.allCases.map { self[$0].count } }
}
