/// Finds literally written special tokens in text: at each byte offset the longest token that
/// starts there (leftmost-longest, as Hugging Face's added-token matcher does).
struct SpecialTokenMatcher: Sendable {
    /// A stretch of the text: either plain text or one special token.
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(Int)
    }

    /// first byte → candidates (bytes, id), longest first.
    private var candidates: [[(bytes: [UInt8], id: Int)]] = Array(repeating: [], count: 256)

    init(tokens: [(bytes: [UInt8], id: Int)]) {
        for token in tokens where !token.bytes.isEmpty {
            candidates[Int(token.bytes[0])].append(token)
        }
        for byte in 0..<256 where candidates[byte].count > 1 {
            // Longest first; among equal texts the lowest id wins.
            candidates[byte].sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        }
    }

    /// The text split into plain stretches and special tokens, in order.
    func segments(of text: UnsafeBufferPointer<UInt8>) -> [Segment] {
        var result: [Segment] = []
        var plainStart = 0
        var i = 0
        let n = text.count
        scan: while i < n {
            let list = candidates[Int(text[i])]
            for candidate in list where candidate.bytes.count <= n - i {
                var matches = true
                for (k, byte) in candidate.bytes.enumerated() where text[i + k] != byte {
                    matches = false
                    break
                }
                if matches {
                    if plainStart < i { result.append(.text(plainStart..<i)) }
                    result.append(.token(candidate.id))
                    i += candidate.bytes.count
                    plainStart = i
                    continue scan
                }
            }
            i += 1
        }
        if plainStart < n { result.append(.text(plainStart..<n)) }
        return result
    }
}
