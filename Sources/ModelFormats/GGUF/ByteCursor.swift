/// Reads little-endian values from a mapped file, checking every length against the bytes left
/// before touching memory or allocating.
struct ByteCursor {
    let file: MappedFile
    private(set) var offset: Int

    init(file: MappedFile, offset: Int = 0) {
        self.file = file
        self.offset = offset
    }

    var bytesLeft: Int { file.count - offset }

    mutating func require(_ needed: Int, for what: @autoclosure () -> String) throws(ModelFormatError) {
        guard needed <= bytesLeft else {
            throw .truncated(path: file.path, what: what(), offset: offset, needed: needed, available: bytesLeft)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(ModelFormatError) -> T {
        try require(MemoryLayout<T>.size, for: what())
        let value = file.base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(ModelFormatError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(ModelFormatError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (not NUL-terminated). Invalid UTF-8 is
    /// repaired with U+FFFD rather than refused: some vocabularies hold stray bytes.
    mutating func readString(_ what: @autoclosure () -> String) throws(ModelFormatError) -> String {
        let length = try read(UInt64.self, "length of " + what())
        guard length <= UInt64(bytesLeft) else {
            throw .implausibleCount(path: file.path, what: "length of " + what(), count: length, bytesLeft: bytesLeft)
        }
        let count = Int(length)
        let bytes = UnsafeRawBufferPointer(start: file.base + offset, count: count)
        offset += count
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Checks that `count` items of at least `minimumSize` bytes each can fit in what is left, so
    /// that a lying count fails before anything is allocated for it.
    func checkCount(_ count: UInt64, minimumSize: Int, _ what: @autoclosure () -> String) throws(ModelFormatError) -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: UInt64(max(minimumSize, 1)))
        guard !overflow, bytes <= UInt64(bytesLeft) else {
            throw .implausibleCount(path: file.path, what: what(), count: count, bytesLeft: bytesLeft)
        }
        return Int(count)
    }

    mutating func skip(to newOffset: Int) {
        offset = newOffset
    }
}
