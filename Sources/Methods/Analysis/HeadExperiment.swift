/// One evaluation of the head analysis on a task t: what goes into t's heads. Its text form
/// ("site", "embedding-of:<task>", "top-<k>", "bottom-<k>") names stored cells.
public enum HeadExperiment: Hashable, Sendable, LosslessStringConvertible, Codable {
    /// α and task embedding of t: SITE itself.
    case site
    /// α of t with the task embedding of another task (cross-task injection).
    case embedding(of: String)
    /// t's embedding with α = 1 in its k highest-α heads only, every other head left alone.
    case highest(Int)
    /// t's embedding with α = 1 in its k lowest-α heads only.
    case lowest(Int)

    /// The cross-task experiment on task `a` with the task embedding of task `b`: SITE itself when
    /// they are the same task.
    public static func crossTask(alphaOf a: String, embeddingOf b: String) -> HeadExperiment {
        a == b ? .site : .embedding(of: b)
    }

    public var description: String {
        switch self {
        case .site: return "site"
        case .embedding(let task): return "embedding-of:\(task)"
        case .highest(let k): return "top-\(k)"
        case .lowest(let k): return "bottom-\(k)"
        }
    }

    /// Reads the text form back; nil for anything else (a k below 1, an empty task name).
    public init?(_ description: String) {
        if description == "site" {
            self = .site
        } else if description.hasPrefix("embedding-of:"), description.count > "embedding-of:".count {
            self = .embedding(of: String(description.dropFirst("embedding-of:".count)))
        } else if description.hasPrefix("top-"), let k = Int(description.dropFirst(4)), k >= 1 {
            self = .highest(k)
        } else if description.hasPrefix("bottom-"), let k = Int(description.dropFirst(7)), k >= 1 {
            self = .lowest(k)
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = HeadExperiment(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "'\(text)' is not site, embedding-of:<task>, top-<k> or bottom-<k>"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
