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
}
