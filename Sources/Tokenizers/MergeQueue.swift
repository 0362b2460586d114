/// A candidate merge of the adjacent symbols `left` and `right` (indices into the symbol list).
struct MergeCandidate {
    /// Lower merges first: the merge rank (BPE) or minus the merged token's score (SentencePiece).
    var cost: Float
    var left: Int32
    var right: Int32
    /// Byte length of the merged piece; a candidate whose symbols have since changed no longer
    /// adds up to it and is skipped (symbols only grow, and dead ones have length 0).
    var length: Int32
    /// The token the merge produces.
    var result: Int32

    @inline(__always)
    func precedes(_ other: MergeCandidate) -> Bool {
        cost < other.cost || (cost == other.cost && left < other.left)
    }
}

/// A binary min-heap of merge candidates (ties broken by the leftmost position, as in llama.cpp
/// and Hugging Face tokenizers). Reused across words to avoid allocation.
struct MergeQueue {
    private var heap: [MergeCandidate] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    mutating func push(_ candidate: MergeCandidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> MergeCandidate? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            let count = heap.count
            while true {
                let leftChild = 2 * parent + 1
                guard leftChild < count else { break }
                var best = leftChild
                if leftChild + 1 < count && heap[leftChild + 1].precedes(heap[leftChild]) { best = leftChild + 1 }
                guard heap[best].precedes(heap[parent]) else { break }
                heap.swapAt(best, parent)
                parent = best
            }
        }
        return top
    }
}
