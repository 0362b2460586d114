/// One attention head of the decoder: head `head` of layer `layer`.
public struct AttentionHead: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var layer: Int
    public var head: Int

    public init(layer: Int, head: Int) {
        self.layer = layer
        self.head = head
    }

    /// Layer-major order (the order of the rows of an (L, H) table).
    public static func < (a: AttentionHead, b: AttentionHead) -> Bool {
        (a.layer, a.head) < (b.layer, b.head)
    }

    /// "layer.head", e.g. "9.3".
    public var description: String { "\(layer).\(head)" }

    /// The `count` heads of largest `scores` (L, H), largest first; equal scores keep layer-major order.
    /// - Precondition: `scores` has rank 2 and `0 <= count <= L·H`.
    public static func top(_ count: Int, of scores: [Float], heads h: Int) -> [AttentionHead] {
        precondition(h > 0 && scores.count % h == 0, "top heads: \(scores.count) scores for \(h) heads per layer")
        precondition(count >= 0 && count <= scores.count, "top heads: \(count) of \(scores.count) heads")
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return order.prefix(count).map { AttentionHead(layer: $0 / h, head: $0 % h) }
    }
}
