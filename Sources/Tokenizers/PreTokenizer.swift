/// The word-splitting regex run before byte-level BPE, written by hand over scalar classes.
///
/// The patterns (as in llama.cpp's llama-vocab.cpp and Hugging Face tokenizer.json):
/// - gpt2:   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - llama3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
///            ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// - qwen2:  as llama3 with `\p{N}` (one digit per word)
/// - smollm: every `\p{N}` isolated first, then gpt2 on the pieces between.
public enum PreTokenizer: String, Sendable, CaseIterable {
    case gpt2
    case llama3
    case qwen2
    case smollm

    /// Appends to `words` the scalar-index ranges of the words of `text`, in order; the ranges
    /// cover the text without gaps.
    func split(_ text: ScalarClasses, into words: inout [Range<Int>]) {
        switch self {
        case .gpt2:
            Self.splitGPT2(text, 0, text.count, into: &words)
        case .llama3:
            Self.splitLlama3(text, maximumDigits: 3, into: &words)
        case .qwen2:
            Self.splitLlama3(text, maximumDigits: 1, into: &words)
        case .smollm:
            var start = 0
            for index in 0..<text.count where text.classes[index] == .number {
                if start < index { Self.splitGPT2(text, start, index, into: &words) }
                words.append(index..<index + 1)
                start = index + 1
            }
            if start < text.count { Self.splitGPT2(text, start, text.count, into: &words) }
        }
    }

    private static let apostrophe: UInt32 = 0x27
    private static let space: UInt32 = 0x20

    /// Length (2 or 3) of a contraction `'s 't 're 've 'm 'll 'd` at `i`, or 0.
    private static func contractionLength(
        _ text: ScalarClasses, _ i: Int, _ end: Int, caseInsensitive: Bool
    ) -> Int {
        guard text.scalars[i] == apostrophe, i + 1 < end else { return 0 }
        func lower(_ value: UInt32) -> UInt32 {
            caseInsensitive && (0x41...0x5A).contains(value) ? value + 0x20 : value
        }
        let first = lower(text.scalars[i + 1])
        switch first {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        default: break
        }
        guard i + 2 < end else { return 0 }
        let second = lower(text.scalars[i + 2])
        switch (first, second) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return 3  // re ve ll
        default: return 0
        }
    }

    private static func isSpace(_ c: ScalarClasses.Class) -> Bool { c == .space || c == .newline }
    private static func isOther(_ c: ScalarClasses.Class) -> Bool { c == .other }

    /// End of the run of scalars of class `c` from `i` (exclusive), stopping at `end`.
    private static func runEnd(
        _ text: ScalarClasses, from i: Int, _ end: Int, where test: (ScalarClasses.Class) -> Bool
    ) -> Int {
        var j = i
        while j < end && test(text.classes[j]) { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar `i`: a run that reaches the end is one word; a
    /// longer run leaves its last scalar to start the next word.
    private static func whitespaceEnd(_ text: ScalarClasses, _ i: Int, _ end: Int) -> Int {
        let k = runEnd(text, from: i, end, where: isSpace)
        if k == end || k - i == 1 { return k }
        return k - 1
    }

    static func splitGPT2(_ text: ScalarClasses, _ start: Int, _ end: Int, into words: inout [Range<Int>]) {
        let classes = text.classes
        var i = start
        while i < end {
            let wordEnd: Int
            let contraction = contractionLength(text, i, end, caseInsensitive: false)
            // ` ?X` alternatives: an optional ASCII space before a run of class X.
            let afterSpace = text.scalars[i] == space && i + 1 < end ? i + 1 : i
            if contraction > 0 {
                wordEnd = i + contraction
            } else if classes[afterSpace] == .letter {
                wordEnd = runEnd(text, from: afterSpace, end) { $0 == .letter }
            } else if classes[afterSpace] == .number {
                wordEnd = runEnd(text, from: afterSpace, end) { $0 == .number }
            } else if isOther(classes[afterSpace]) {
                wordEnd = runEnd(text, from: afterSpace, end, where: isOther)
            } else if isSpace(classes[i]) {
                wordEnd = whitespaceEnd(text, i, end)
            } else {
                wordEnd = i + 1
            }
            words.append(i..<wordEnd)
            i = wordEnd
        }
    }

    static func splitLlama3(_ text: ScalarClasses, maximumDigits: Int, into words: inout [Range<Int>]) {
        let classes = text.classes
        let end = text.count
        var i = 0
        while i < end {
            let c = classes[i]
            var wordEnd: Int
            let contraction = contractionLength(text, i, end, caseInsensitive: true)
            if contraction > 0 {
                wordEnd = i + contraction
            } else if c == .letter {
                wordEnd = runEnd(text, from: i, end) { $0 == .letter }
            } else if c != .newline && c != .number && i + 1 < end && classes[i + 1] == .letter {
                // `[^\r\n\p{L}\p{N}]?\p{L}+`
                wordEnd = runEnd(text, from: i + 1, end) { $0 == .letter }
            } else if c == .number {
                wordEnd = i + 1
                while wordEnd < end && wordEnd - i < maximumDigits && classes[wordEnd] == .number { wordEnd += 1 }
            } else if isOther(c) || (text.scalars[i] == space && i + 1 < end && isOther(classes[i + 1])) {
                // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
                let first = isOther(c) ? i : i + 1
                wordEnd = runEnd(text, from: first, end, where: isOther)
                wordEnd = runEnd(text, from: wordEnd, end) { $0 == .newline }
            } else if isSpace(c) {
                // `\s*[\r\n]+`: up to and including the last newline of the whitespace run.
                let k = runEnd(text, from: i, end, where: isSpace)
                var lastNewline = -1
                for j in i..<k where classes[j] == .newline { lastNewline = j }
                wordEnd = lastNewline >= 0 ? lastNewline + 1 : whitespaceEnd(text, i, end)
            } else {
                wordEnd = i + 1
            }
            words.append(i..<wordEnd)
            i = wordEnd
        }
    }
}
