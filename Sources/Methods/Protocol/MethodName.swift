/// A method as result rows, artifact folders and tables name it: its kind, plus the one setting
/// that its name carries (ICL's shot count, SITE's task-agnostic weights, FV's fixed heads, LTV's
/// paper profile). Its text (`description`) is the `method` column of every result file and the
/// artifact folder's name: "zero-shot", "icl-10", "site", "site-agnostic", "function-vectors",
/// "function-vectors-fixed-heads", "task-vectors", "ltv", "ltv-paper".
public enum MethodName: Hashable, Sendable {
    case zeroShot
    /// k-shot in-context learning, k ≥ 1.
    case icl(shots: Int)
    case site
    /// SITE with one set of weights for all tasks trained together.
    case siteAgnostic
    case functionVectors
    /// Function vectors summing given heads (e.g. universal ones) instead of each task's top heads.
    case functionVectorsFixedHeads
    case taskVectors
    case ltv
    /// LTV with the reference's training recipe.
    case ltvPaper

    /// The method this is a variant of.
    public var kind: MethodKind {
        switch self {
        case .zeroShot: return .zeroShot
        case .icl: return .icl
        case .site, .siteAgnostic: return .site
        case .functionVectors, .functionVectorsFixedHeads: return .functionVector
        case .taskVectors: return .taskVector
        case .ltv, .ltvPaper: return .ltv
        }
    }

    /// Demonstrations in the test prompts the method answers: ICL's shots; 0 for the others,
    /// which answer the 0-shot prompt (the task representations inject into it).
    public var promptShots: Int {
        if case .icl(let shots) = self { return shots }
        return 0
    }

    /// Every name without a payload, in the papers' order (ICL goes between zero-shot and FV).
    static let fixed: [MethodName] = [.zeroShot, .functionVectors, .functionVectorsFixedHeads, .taskVectors, .ltv, .ltvPaper, .site, .siteAgnostic]
}

extension MethodName: CustomStringConvertible, LosslessStringConvertible {
    public var description: String {
        switch self {
        case .zeroShot: return "zero-shot"
        case .icl(let shots): return "icl-\(shots)"
        case .site: return "site"
        case .siteAgnostic: return "site-agnostic"
        case .functionVectors: return "function-vectors"
        case .functionVectorsFixedHeads: return "function-vectors-fixed-heads"
        case .taskVectors: return "task-vectors"
        case .ltv: return "ltv"
        case .ltvPaper: return "ltv-paper"
        }
    }

    /// The name spelled `text` (as `description` writes it), or nil.
    public init?(_ text: String) {
        if let fixed = Self.fixed.first(where: { $0.description == text }) {
            self = fixed
        } else if text.hasPrefix("icl-"), let shots = Int(text.dropFirst(4)), shots >= 1, "icl-\(shots)" == text {
            self = .icl(shots: shots)
        } else {
            return nil
        }
    }

    /// What a method column may hold, for error messages.
    public static let spellings = "a method name: zero-shot, icl-<shots>, " + fixed.dropFirst().map(\.description).joined(separator: ", ")
}

/// Stored as its text.
extension MethodName: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let name = MethodName(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.spellings)
        }
        self = name
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
