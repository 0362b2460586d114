/// BPE merge rules keyed by the ids of the two tokens: (left, right) → (rank, merged id).
struct MergeTable: Sendable {
    private var rules: [UInt64: UInt64] = [:]

    var count: Int { rules.count }

    /// Resolves the textual rules against the vocabulary. The rank of a rule is its index; a
    /// rule listed twice keeps its first (best) rank.
    /// - Throws: `TokenizerError.mergeReferencesUnknownToken` when a side or the concatenation is
    ///   not a token.
    init(merges: [TokenMerge], pieceOf: (String) -> [UInt8], lookup: PieceTable, source: String) throws {
        rules.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let leftPiece = pieceOf(merge.left)
            let rightPiece = pieceOf(merge.right)
            let rule = "\(merge.left) \(merge.right)"
            let left = lookup.id(of: leftPiece)
            guard left >= 0 else {
                throw TokenizerError.mergeReferencesUnknownToken(source: source, index: rank, rule: rule, token: merge.left)
            }
            let right = lookup.id(of: rightPiece)
            guard right >= 0 else {
                throw TokenizerError.mergeReferencesUnknownToken(source: source, index: rank, rule: rule, token: merge.right)
            }
            let result = lookup.id(of: leftPiece + rightPiece)
            guard result >= 0 else {
                throw TokenizerError.mergeReferencesUnknownToken(
                    source: source, index: rank, rule: rule, token: merge.left + merge.right)
            }
            let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
            if rules[key] == nil { rules[key] = UInt64(UInt32(rank)) << 32 | UInt64(UInt32(result)) }
        }
    }

    /// The rank and merged id of the pair, or nil when the pair never merges.
    @inline(__always)
    func rule(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        guard left >= 0, right >= 0,
              let packed = rules[UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))]
        else { return nil }
        return (Int32(truncatingIfNeeded: packed >> 32), Int32(truncatingIfNeeded: packed))
    }
}
