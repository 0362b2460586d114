import Foundation

/// An answer as a task file stores it: a string, or an integer (word_length).
public enum TaskOutput: Equatable, Hashable, Sendable {
    case text(String)
    case integer(Int)

    /// The answer as the prompt writes it (Python's `str(v)`).
    public var text: String {
        switch self {
        case .text(let value): return value
        case .integer(let value): return String(value)
        }
    }
}

/// One input/output pair of a text task.
public struct TaskItem: Equatable, Hashable, Sendable {
    public var input: String
    public var output: TaskOutput

    public init(input: String, output: TaskOutput) {
        self.input = input
        self.output = output
    }
}

extension TaskItem: Codable {
    private enum CodingKeys: String, CodingKey { case input, output }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        input = try container.decode(String.self, forKey: .input)
        guard container.contains(.output) else {
            throw DecodingError.keyNotFound(
                CodingKeys.output,
                DecodingError.Context(codingPath: container.codingPath, debugDescription: "no \"output\""))
        }
        if let text = try? container.decode(String.self, forKey: .output) {
            output = .text(text)
        } else if let number = try? container.decode(Int.self, forKey: .output) {
            output = .integer(number)
        } else {
            throw DecodingError.typeMismatch(
                TaskOutput.self,
                DecodingError.Context(
                    codingPath: container.codingPath + [CodingKeys.output],
                    debugDescription: "\"output\" must be a string or an integer"))
        }
    }

    /// Writes the task-file form back: an integer output stays a JSON number.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(input, forKey: .input)
        switch output {
        case .text(let text): try container.encode(text, forKey: .output)
        case .integer(let number): try container.encode(number, forKey: .output)
        }
    }
}

/// Reads task files: a JSON array of `{"input": string, "output": string or integer}`.
public enum TaskFileReader {
    /// No task file comes near this; a larger file is refused before it is read.
    public static let maximumFileBytes = 256 << 20

    /// Reads and decodes one task file.
    /// - Throws: `TaskError.missingFile`, `.unreadableFile`, `.fileTooLarge`, `.malformedFile`,
    ///   or `.malformedItem` with the item's index.
    public static func read(_ url: URL) throws -> [TaskItem] {
        try decode(readBytes(url), path: url.path)
    }

    /// The raw bytes of a file, refusing a missing, unreadable or implausibly large one.
    public static func readBytes(_ url: URL, limit: Int = maximumFileBytes) throws -> Data {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TaskError.missingFile(path: path)
        }
        if isDirectory.boolValue { throw TaskError.unreadableFile(path: path, reason: "it is a directory") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > limit {
            throw TaskError.fileTooLarge(path: path, bytes: size, limit: limit)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TaskError.unreadableFile(path: path, reason: error.localizedDescription)
        }
    }

    /// Decodes the bytes of a task file; `path` only names the file in errors.
    public static func decode(_ data: Data, path: String) throws -> [TaskItem] {
        do {
            return try JSONDecoder().decode([TaskItem].self, from: data)
        } catch let error as DecodingError {
            throw describe(error, path: path)
        } catch {
            throw TaskError.malformedFile(path: path, reason: "\(error)")
        }
    }

    /// Turns a decoding error into a `TaskError` naming the item index when the error lies
    /// inside an item (the first coding-path component is the array index).
    private static func describe(_ error: DecodingError, path: String) -> TaskError {
        let context: DecodingError.Context
        var reason: String
        switch error {
        case .typeMismatch(_, let c):
            context = c
            reason = c.debugDescription
        case .valueNotFound(_, let c):
            context = c
            reason = c.debugDescription
        case .keyNotFound(let key, let c):
            context = c
            reason = "missing key \"\(key.stringValue)\""
        case .dataCorrupted(let c):
            context = c
            reason = c.debugDescription
        @unknown default:
            return .malformedFile(path: path, reason: "\(error)")
        }
        if let index = context.codingPath.first?.intValue {
            let field = context.codingPath.dropFirst().map(\.stringValue).joined(separator: ".")
            if !field.isEmpty { reason = "\(field): \(reason)" }
            return .malformedItem(path: path, index: index, reason: reason)
        }
        return .malformedFile(path: path, reason: reason)
    }
}
