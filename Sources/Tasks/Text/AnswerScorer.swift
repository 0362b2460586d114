import Foundation

/// Exact-match and first-token scoring (DESIGN.md "Prompt format and scoring").
///
/// Prediction: trim surrounding whitespace first (so a leading "\n" is dropped), replace "St."
/// by "Saint", cut at the first "\n", cut at the first "(", trim. Target: replace "St." by
/// "Saint", cut at the first "(", trim. Both lower-cased unless the task preserves case.
/// Correct when the prediction starts with the whole target.
public struct AnswerScorer: Hashable, Sendable {
    /// Keep letter case when comparing (capitalize*/lowercase* tasks).
    public var preservesCase: Bool

    public init(preservesCase: Bool) { self.preservesCase = preservesCase }

    /// The decoded generation (special tokens already dropped), normalised for comparison.
    public func normalizedPrediction(_ decoded: String) -> String {
        var text = trimmed(decoded).replacingOccurrences(of: "St.", with: "Saint")
        text = cut(text, at: "\n")
        text = trimmed(cut(text, at: "("))
        return preservesCase ? text : text.lowercased()
    }

    /// The target string (leading space allowed), normalised for comparison.
    public func normalizedTarget(_ target: String) -> String {
        let text = trimmed(cut(target.replacingOccurrences(of: "St.", with: "Saint"), at: "("))
        return preservesCase ? text : text.lowercased()
    }

    /// True when the normalised prediction begins with the whole normalised target.
    /// An empty target matches anything (as `prediction[:0] == ""` does in the reference).
    public func isExactMatch(prediction decoded: String, target: String) -> Bool {
        normalizedPrediction(decoded).hasPrefix(normalizedTarget(target))
    }

    /// First-token mode: the arg-max of the last position's logits is the target token.
    /// Ties go to the lowest token id (as `torch.argmax` does).
    /// - Precondition: `logits` is non-empty.
    public static func isFirstTokenMatch(logits: [Float], targetToken: Int) -> Bool {
        precondition(!logits.isEmpty, "first-token scoring needs the logits of at least one token")
        var best = 0
        logits.withUnsafeBufferPointer { values in
            for i in 1..<values.count where values[i] > values[best] { best = i }
        }
        return best == targetToken
    }

    /// Generation may stop once a "\n" follows non-blank text: everything after that newline is
    /// cut by `normalizedPrediction`, so the score can no longer change.
    public static func canStopEarly(generatedText: String) -> Bool {
        var sawText = false
        for character in generatedText {
            if character.unicodeScalars.contains("\n") {
                if sawText { return true }
            } else if !character.isWhitespace {
                sawText = true
            }
        }
        return false
    }

    private func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Cuts by scalar, not by Character, so that "\r\n" (one Character) is cut at its "\n".
    private func cut(_ text: String, at separator: Unicode.Scalar) -> String {
        guard let index = text.unicodeScalars.firstIndex(of: separator) else { return text }
        return String(text.unicodeScalars[..<index])
    }
}
