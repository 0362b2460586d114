/// The symbols of one word while it is being merged: a doubly linked list over arrays.
/// Symbol i covers `length[i]` bytes from `start[i]` of the word; merged-away symbols have
/// length 0. `id[i]` is the token the symbol spells, or -1 when it spells none.
struct SymbolList {
    var start: [Int32] = []
    var length: [Int32] = []
    var id: [Int32] = []
    var previous: [Int32] = []
    var next: [Int32] = []

    var count: Int { id.count }

    mutating func removeAll() {
        start.removeAll(keepingCapacity: true)
        length.removeAll(keepingCapacity: true)
        id.removeAll(keepingCapacity: true)
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
    }

    mutating func append(start: Int, length: Int, id: Int) {
        let index = Int32(self.id.count)
        self.start.append(Int32(start))
        self.length.append(Int32(length))
        self.id.append(Int32(id))
        previous.append(index - 1)
        next.append(index + 1)
    }

    /// Whether `candidate` still joins two live neighbours unchanged since it was queued.
    @inline(__always)
    func isCurrent(_ candidate: MergeCandidate) -> Bool {
        let l = Int(candidate.left), r = Int(candidate.right)
        return length[l] > 0 && length[r] > 0 && next[l] == candidate.right
            && length[l] + length[r] == candidate.length
    }

    /// Folds symbol `right` into its left neighbour `left`, which becomes token `result`.
    @inline(__always)
    mutating func merge(_ candidate: MergeCandidate) {
        let l = Int(candidate.left), r = Int(candidate.right)
        id[l] = candidate.result
        length[l] += length[r]
        length[r] = 0
        next[l] = next[r]
        if Int(next[r]) < count { previous[Int(next[r])] = Int32(l) }
    }
}

/// Scratch storage reused by every word of one `encode` call.
struct EncodingWorkspace {
    var symbols = SymbolList()
    var queue = MergeQueue()
    var words: [Range<Int>] = []
    var buffer: [UInt8] = []
}
