extension TextFields {
    /// Decodes a flat value from `fields` (key → text, as `encode` writes them). An absent or
    /// empty field reads as nil for an optional property.
    /// - Throws: `TextFieldsError.missingField` for a field the value needs that is absent,
    ///   `.badValue` for one whose text does not parse as its type.
    public static func decode<T: Decodable>(_ type: T.Type, from fields: [String: String]) throws -> T {
        do {
            return try T(from: FieldDecoder(fields: fields, codingPath: []))
        } catch let DecodingError.dataCorrupted(context) {
            // A value's own check of one field (e.g. a layer that is neither an index nor "L/3").
            let key = context.codingPath.last?.stringValue ?? ""
            throw TextFieldsError.badValue(key: key, value: fields[key] ?? "", expected: context.debugDescription)
        }
    }
}

struct FieldDecoder: Decoder {
    let fields: [String: String]
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard codingPath.isEmpty else {
            throw DecodingError.typeMismatch([String: String].self, .init(codingPath: codingPath, debugDescription: "a flat value"))
        }
        return KeyedDecodingContainer(FieldKeyedDecoder<Key>(fields: fields, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([String].self, .init(codingPath: codingPath, debugDescription: "a single field, not a list"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard let key = codingPath.last else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: codingPath, debugDescription: "a value with fields"))
        }
        return FieldValueDecoder(text: fields[key.stringValue] ?? "", key: key.stringValue, codingPath: codingPath)
    }
}

/// Parses the text of field `key` as `T`, naming `expected` when it does not parse.
private func parse<T: LosslessStringConvertible>(_ text: String, key: String, expected: String) throws -> T {
    guard let value = T(text) else { throw TextFieldsError.badValue(key: key, value: text, expected: expected) }
    return value
}

private func parseBool(_ text: String, key: String) throws -> Bool {
    switch text {
    case "true": return true
    case "false": return false
    default: throw TextFieldsError.badValue(key: key, value: text, expected: "true or false")
    }
}

private let integer = "an integer", unsignedInteger = "an unsigned integer", number = "a number"

struct FieldKeyedDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: String]
    var codingPath: [any CodingKey]

    var allKeys: [Key] { fields.keys.sorted().compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }

    private func text(_ key: Key) throws -> String {
        guard let text = fields[key.stringValue] else { throw TextFieldsError.missingField(key: key.stringValue) }
        return text
    }

    func decodeNil(forKey key: Key) throws -> Bool { (fields[key.stringValue] ?? "").isEmpty }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try parseBool(text(key), key: key.stringValue) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try text(key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try parse(text(key), key: key.stringValue, expected: number) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try parse(text(key), key: key.stringValue, expected: number) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try parse(text(key), key: key.stringValue, expected: integer) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try parse(text(key), key: key.stringValue, expected: integer) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try parse(text(key), key: key.stringValue, expected: integer) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try parse(text(key), key: key.stringValue, expected: integer) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try parse(text(key), key: key.stringValue, expected: integer) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try parse(text(key), key: key.stringValue, expected: unsignedInteger) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try parse(text(key), key: key.stringValue, expected: unsignedInteger) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try parse(text(key), key: key.stringValue, expected: unsignedInteger) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try parse(text(key), key: key.stringValue, expected: unsignedInteger) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try parse(text(key), key: key.stringValue, expected: unsignedInteger) }

    /// A type that decodes itself from one primitive (a string-backed enum, `MethodName`); its
    /// own complaint becomes the field's `expected`.
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let value = try text(key)
        do {
            return try T(from: FieldDecoder(fields: fields, codingPath: codingPath + [key]))
        } catch let DecodingError.dataCorrupted(context) {
            throw TextFieldsError.badValue(key: key.stringValue, value: value, expected: context.debugDescription)
        } catch let DecodingError.typeMismatch(_, context) {
            throw TextFieldsError.badValue(key: key.stringValue, value: value, expected: context.debugDescription)
        }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch([String: String].self, .init(codingPath: codingPath + [key], debugDescription: "a single field"))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([String].self, .init(codingPath: codingPath + [key], debugDescription: "a single field"))
    }

    func superDecoder() throws -> any Decoder { FieldDecoder(fields: fields, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { FieldDecoder(fields: fields, codingPath: codingPath) }
}

/// The one field of a type that decodes itself from a primitive.
struct FieldValueDecoder: SingleValueDecodingContainer {
    let text: String
    let key: String
    var codingPath: [any CodingKey]

    func decodeNil() -> Bool { text.isEmpty }
    func decode(_ type: Bool.Type) throws -> Bool { try parseBool(text, key: key) }
    func decode(_ type: String.Type) throws -> String { text }
    func decode(_ type: Double.Type) throws -> Double { try parse(text, key: key, expected: number) }
    func decode(_ type: Float.Type) throws -> Float { try parse(text, key: key, expected: number) }
    func decode(_ type: Int.Type) throws -> Int { try parse(text, key: key, expected: integer) }
    func decode(_ type: Int8.Type) throws -> Int8 { try parse(text, key: key, expected: integer) }
    func decode(_ type: Int16.Type) throws -> Int16 { try parse(text, key: key, expected: integer) }
    func decode(_ type: Int32.Type) throws -> Int32 { try parse(text, key: key, expected: integer) }
    func decode(_ type: Int64.Type) throws -> Int64 { try parse(text, key: key, expected: integer) }
    func decode(_ type: UInt.Type) throws -> UInt { try parse(text, key: key, expected: unsignedInteger) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try parse(text, key: key, expected: unsignedInteger) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try parse(text, key: key, expected: unsignedInteger) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try parse(text, key: key, expected: unsignedInteger) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try parse(text, key: key, expected: unsignedInteger) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: FieldDecoder(fields: [key: text], codingPath: codingPath))
    }
}
