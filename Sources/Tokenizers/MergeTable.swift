/// BPE merge rules keyed by the ids of the two tokens: (left, right) → (rank, merged id), in an
/// open-addressing table (hundreds of thousands of rules load in well under a second).
struct MergeTable: Sendable {
    /// Packed `left << 32 | right`; `empty` marks a free slot.
    private let keys: [UInt64]
    /// Packed `rank << 32 | result`.
    private let values: [UInt64]
    private static let empty = UInt64.max

    /// Resolves the textual rules against the vocabulary. The rank of a rule is its index; a
    /// rule listed twice keeps its first (best) rank.
    /// - Parameter appendPiece: appends the bytes a token text stands for in `lookup`.
    /// - Throws: `TokenizerError.mergeReferencesUnknownToken` when a side or the concatenation is
    ///   not a token.
    init(
        merges: [TokenMerge], appendPiece: (String, inout [UInt8]) -> Void, lookup: PieceTable, source: String
    ) throws {
        var capacity = 16
        while capacity < 2 * merges.count { capacity *= 2 }
        var keys = [UInt64](repeating: Self.empty, count: capacity)
        var values = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        var buffer: [UInt8] = []
        for (rank, merge) in merges.enumerated() {
            buffer.removeAll(keepingCapacity: true)
            appendPiece(merge.left, &buffer)
            let leftCount = buffer.count
            appendPiece(merge.right, &buffer)
            let (left, right, result) = buffer.withUnsafeBufferPointer { all in
                (lookup.id(of: UnsafeBufferPointer(rebasing: all[..<leftCount])),
                 lookup.id(of: UnsafeBufferPointer(rebasing: all[leftCount...])),
                 lookup.id(of: all))
            }
            if left < 0 || right < 0 || result < 0 {
                throw TokenizerError.mergeReferencesUnknownToken(
                    source: source, index: rank, rule: "\(merge.left) \(merge.right)",
                    token: left < 0 ? merge.left : right < 0 ? merge.right : merge.left + merge.right)
            }
            let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
            var slot = Self.slot(key, mask)
            while keys[slot] != Self.empty && keys[slot] != key { slot = (slot + 1) & mask }
            if keys[slot] == Self.empty {
                keys[slot] = key
                values[slot] = UInt64(UInt32(rank)) << 32 | UInt64(UInt32(result))
            }
        }
        self.keys = keys
        self.values = values
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    /// The rank and merged id of the pair, or nil when the pair never merges.
    @inline(__always)
    func rule(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        guard left >= 0, right >= 0 else { return nil }
        let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
        let mask = keys.count - 1
        return keys.withUnsafeBufferPointer { keys in
            var slot = Self.slot(key, mask)
            while keys[slot] != Self.empty {
                if keys[slot] == key {
                    let packed = values[slot]
                    return (Int32(truncatingIfNeeded: packed >> 32), Int32(truncatingIfNeeded: packed))
                }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }
}
