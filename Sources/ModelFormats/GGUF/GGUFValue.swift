/// One metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
    /// Elements all share one type in the file; nested arrays are arrays of `.array`.
    case array([GGUFValue])
}

extension GGUFValue {
    /// Any integer case that fits in `Int` (bools are not integers here).
    public var asInt: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// A float32 or float64 value, or any integer (converted); integers are accepted because
    /// some converters write e.g. `rope.freq_base` as an integer.
    public var asFloat: Float? {
        switch self {
        case .float32(let v): return v
        case .float64(let v): return Float(v)
        default: return asInt.map(Float.init)
        }
    }

    public var asString: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    public var asBool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var asArray: [GGUFValue]? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// An array whose every element is a string.
    public var asStrings: [String]? {
        guard case .array(let elements) = self else { return nil }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let s) = element else { return nil }
            result.append(s)
        }
        return result
    }

    /// An array whose every element converts with `asFloat`.
    public var asFloats: [Float]? {
        guard case .array(let elements) = self else { return nil }
        var result: [Float] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let f = element.asFloat else { return nil }
            result.append(f)
        }
        return result
    }

    /// An array whose every element converts with `asInt`.
    public var asInts: [Int]? {
        guard case .array(let elements) = self else { return nil }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let i = element.asInt else { return nil }
            result.append(i)
        }
        return result
    }

    /// The GGUF name of the value's type, for error messages ("uint32", "array of string").
    public var typeName: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .float32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float64: return "float64"
        case .array(let elements):
            return elements.first.map { "array of \($0.typeName)" } ?? "empty array"
        }
    }
}
