/// Finds literally written special tokens in text: at each byte offset the longest token that
/// starts there (leftmost-longest, as Hugging Face's added-token matcher does). A byte trie, so
/// the cost per text byte does not grow with the number of special tokens (Gemma has 6,414).
struct SpecialTokenMatcher: Sendable {
    /// A stretch of the text: either plain text or one special token.
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(Int)
    }

    /// (node << 8 | byte) → child node; node 0 is the root.
    private var children: [Int: Int32] = [:]
    /// Per node, the token spelled by the path to it, or -1.
    private var terminal: [Int32] = [-1]
    /// Whether any token starts with the byte (skips the dictionary for most text bytes).
    private var startsToken = [Bool](repeating: false, count: 256)

    /// Among tokens with the same text, the lowest id wins.
    init(tokens: [(bytes: [UInt8], id: Int)]) {
        for token in tokens where !token.bytes.isEmpty {
            startsToken[Int(token.bytes[0])] = true
            var node = 0
            for byte in token.bytes {
                let key = node << 8 | Int(byte)
                if let child = children[key] {
                    node = Int(child)
                } else {
                    terminal.append(-1)
                    let child = terminal.count - 1
                    children[key] = Int32(child)
                    node = child
                }
            }
            if terminal[node] < 0 || Int(terminal[node]) > token.id { terminal[node] = Int32(token.id) }
        }
    }

    /// The longest token starting at `start`: (id, byte length), or nil.
    private func longestMatch(in text: UnsafeBufferPointer<UInt8>, at start: Int) -> (id: Int, length: Int)? {
        var node = 0
        var best: (id: Int, length: Int)?
        var i = start
        while i < text.count, let child = children[node << 8 | Int(text[i])] {
            node = Int(child)
            i += 1
            if terminal[node] >= 0 { best = (Int(terminal[node]), i - start) }
        }
        return best
    }

    /// The text split into plain stretches and special tokens, in order.
    func segments(of text: UnsafeBufferPointer<UInt8>) -> [Segment] {
        var result: [Segment] = []
        var plainStart = 0
        var i = 0
        while i < text.count {
            if startsToken[Int(text[i])], let match = longestMatch(in: text, at: i) {
                if plainStart < i { result.append(.text(plainStart..<i)) }
                result.append(.token(match.id))
                i += match.length
                plainStart = i
            } else {
                i += 1
            }
        }
        if plainStart < text.count { result.append(.text(plainStart..<text.count)) }
        return result
    }
}
