/// The Unicode scalars of a text with the byte offset of each and the class the pre-tokenizer
/// regexes distinguish. Built once per text piece; the splitters only read it.
struct ScalarClasses {
    enum Class: UInt8 {
        /// `\p{L}`: general category L*.
        case letter
        /// `\p{N}`: general category N*.
        case number
        /// `\s` other than CR and LF.
        case space
        /// CR or LF (also `\s`).
        case newline
        /// Anything else.
        case other
    }

    var scalars: [UInt32] = []
    var classes: [Class] = []
    /// UTF-8 offset of scalar i; one extra entry holds the total byte count.
    var byteOffsets: [Int] = []

    /// - Precondition: `text` is valid UTF-8 (pieces are cut at token boundaries of valid text).
    init(_ text: UnsafeBufferPointer<UInt8>) {
        let count = text.count
        scalars.reserveCapacity(count)
        classes.reserveCapacity(count)
        byteOffsets.reserveCapacity(count + 1)
        var offset = 0
        for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
            scalars.append(scalar.value)
            classes.append(Self.classify(scalar))
            byteOffsets.append(offset)
            offset += UTF8.width(scalar)
        }
        byteOffsets.append(offset)
    }

    var count: Int { scalars.count }

    static func classify(_ scalar: Unicode.Scalar) -> Class {
        let value = scalar.value
        if value < 0x80 {
            // ASCII fast path.
            switch value {
            case 0x0A, 0x0D: return .newline
            case 0x09, 0x0B, 0x0C, 0x20: return .space
            case 0x30...0x39: return .number
            case 0x41...0x5A, 0x61...0x7A: return .letter
            default: return .other
            }
        }
        let properties = scalar.properties
        if properties.isWhitespace { return .space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}
