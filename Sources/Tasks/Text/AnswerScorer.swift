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

    /// The exact-match score every continuation of `generatedText` gets, once they all get the
    /// same; nil while more text could still change it. Generation stops there: the score is the
    /// one the whole generation would get, in far fewer tokens (most wrong answers are decided by
    /// their second token).
    ///
    /// Appending tokens appends bytes, so of the text so far only the end is open: a trailing
    /// U+FFFD (an incomplete UTF-8 sequence), a trailing "S" or "St" (a "St." to be replaced), the
    /// last Character (a combining mark may join it) and trailing whitespace (kept if text
    /// follows). Once the rest holds a cut ("\n" after text, or "("), the prediction is final.
    /// Otherwise the prediction will start with the rest, normalised (P): the score is decided
    /// once P starts with the target (correct) or is no prefix of it (wrong).
    public func decidedScore(generatedText: String, target: String) -> Bool? {
        var known = generatedText.unicodeScalars[...]
        while known.last == "\u{FFFD}" { known.removeLast() }
        let lead = String(String.UnicodeScalarView(known.drop { CharacterSet.whitespacesAndNewlines.contains($0) }))
        guard !lead.isEmpty else { return nil }
        if lead.unicodeScalars.contains(where: { $0 == "\n" || $0 == "(" }) {
            return isExactMatch(prediction: lead, target: target)
        }
        var stable = String(lead.dropLast()).unicodeScalars[...]
        if stable.last == "S" {
            stable.removeLast()
        } else if stable.suffix(2).elementsEqual("St".unicodeScalars) {
            stable.removeLast(2)
        }
        // No cut in it and no space before it: normalising the settled part gives P.
        let prefix = normalizedPrediction(String(String.UnicodeScalarView(stable)))
        let wanted = normalizedTarget(target)
        if prefix.hasPrefix(wanted) { return true }
        return wanted.hasPrefix(prefix) ? nil : false
    }

    private func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Cuts by scalar, not by Character, so that "\r\n" (one Character) is cut at its "\n".
    private func cut(_ text: String, at separator: Unicode.Scalar) -> String {
        guard let index = text.unicodeScalars.firstIndex(of: separator) else { return text }
        return String(text.unicodeScalars[..<index])
    }
}
