/// GPT-2's reversible map between the 256 byte values and 256 printable Unicode scalars.
///
/// Printable Latin-1 bytes ('!'...'~', '¡'...'¬', '®'...'ÿ') map to themselves; the other 68
/// bytes (controls, space, DEL, NBSP, soft hyphen) map, in byte order, to U+0100, U+0101, ...
/// so that space is 'Ġ' (U+0120) and newline is 'Ċ' (U+010A).
enum ByteLevelMapping {
    /// byte → scalar value.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isSelfMapped(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// scalar value (< 324) → byte, or -1 for scalars outside the map.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar)] = Int16(byte) }
        return table
    }()

    private static func isSelfMapped(_ byte: Int) -> Bool {
        (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
    }

    /// The raw bytes a byte-level token text stands for, or nil when a scalar is outside the map
    /// (then the text is not a byte-level spelling, e.g. an added token with a space).
    static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count, byteForScalar[value] >= 0 else { return nil }
            bytes.append(UInt8(byteForScalar[value]))
        }
        return bytes
    }

    /// Appends the raw bytes of a byte-level token text to `bytes`; when a scalar is outside the
    /// map, appends the text's UTF-8 instead (an added token such as "<|im_start|>" or one with
    /// a space is its own spelling).
    static func appendDecoded(_ text: String, to bytes: inout [UInt8]) {
        let start = bytes.count
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count, byteForScalar[value] >= 0 else {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: text.utf8)
                return
            }
            bytes.append(UInt8(byteForScalar[value]))
        }
    }

    /// The byte-level spelling of raw bytes (used to build merge strings in tests and tools).
    static func encode(_ bytes: [UInt8]) -> String {
        var result = String.UnicodeScalarView()
        for byte in bytes { // Every table value is below 324, a valid scalar.
            result.append(Unicode.Scalar(scalarForByte[Int(byte)]) ?? "?") }
        return String(result)
    }
}
