/// Byte strings by token id in one contiguous buffer, with an open-addressing hash index from
/// bytes to id. Lookups compare bytes exactly (Swift `String` equality would merge canonically
/// equivalent spellings such as NFC and NFD "é", which are distinct tokens).
struct PieceTable: Sendable {
    /// All pieces back to back.
    private let bytes: [UInt8]
    /// Piece i is `bytes[offsets[i] ..< offsets[i + 1]]`.
    private let offsets: [Int]
    /// Hash slots holding id + 1 (0 = empty); capacity is a power of two, at least twice the count.
    private let slots: [Int32]

    var count: Int { offsets.count - 1 }

    /// Collects pieces one by one; `finish()` builds the index.
    struct Builder {
        var bytes: [UInt8] = []
        var offsets: [Int] = [0]

        init(capacity: Int) {
            offsets.reserveCapacity(capacity + 1)
            bytes.reserveCapacity(capacity * 8)
        }

        /// Ends the piece whose bytes were appended to `bytes` since the last call.
        mutating func endPiece() { offsets.append(bytes.count) }

        mutating func append<C: Collection>(_ piece: C) where C.Element == UInt8 {
            bytes.append(contentsOf: piece)
            offsets.append(bytes.count)
        }

        func finish() -> PieceTable { PieceTable(bytes: bytes, offsets: offsets) }
    }

    /// When two ids share a spelling, lookups find the lower id.
    private init(bytes: [UInt8], offsets: [Int]) {
        self.bytes = bytes
        self.offsets = offsets
        let count = offsets.count - 1
        var capacity = 16
        while capacity < 2 * count { capacity *= 2 }
        var slots = [Int32](repeating: 0, count: capacity)
        let mask = capacity - 1
        bytes.withUnsafeBufferPointer { all in
            offsets.withUnsafeBufferPointer { offsets in
                slots.withUnsafeMutableBufferPointer { slots in
                    for id in 0..<count {
                        let piece = UnsafeBufferPointer(rebasing: all[offsets[id]..<offsets[id + 1]])
                        var slot = Self.hash(piece) & mask
                        var duplicate = false
                        while slots[slot] != 0 {
                            let other = Int(slots[slot]) - 1
                            if Self.equal(piece, UnsafeBufferPointer(rebasing: all[offsets[other]..<offsets[other + 1]])) {
                                duplicate = true
                                break
                            }
                            slot = (slot + 1) & mask
                        }
                        if !duplicate { slots[slot] = Int32(id + 1) }
                    }
                }
            }
        }
        self.slots = slots
    }

    /// FNV-1a.
    @inline(__always)
    private static func hash(_ piece: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in piece {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    /// The id spelled exactly `piece`, or -1.
    func id(of piece: UnsafeBufferPointer<UInt8>) -> Int {
        let mask = slots.count - 1
        return bytes.withUnsafeBufferPointer { all in
            offsets.withUnsafeBufferPointer { offsets in
                slots.withUnsafeBufferPointer { slots in
                    var slot = Self.hash(piece) & mask
                    while slots[slot] != 0 {
                        let id = Int(slots[slot]) - 1
                        if Self.equal(piece, UnsafeBufferPointer(rebasing: all[offsets[id]..<offsets[id + 1]])) { return id }
                        slot = (slot + 1) & mask
                    }
                    return -1
                }
            }
        }
    }

    func id(of piece: [UInt8]) -> Int {
        piece.withUnsafeBufferPointer { id(of: $0) }
    }

    /// The bytes of token `id`.
    func piece(_ id: Int) -> ArraySlice<UInt8> { bytes[offsets[id]..<offsets[id + 1]] }
}
