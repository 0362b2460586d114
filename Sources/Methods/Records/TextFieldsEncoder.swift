/// Encodes a flat value — a struct whose properties are numbers, strings, booleans, optionals of
/// them, or types that encode as one of those (string-backed enums, `MethodName`) — as one text
/// field per key. The one rendering shared by method settings (`SettingsText`) and CSV rows:
/// integers and floating-point numbers by their `description` (Swift's shortest text that reads
/// back to the same value: Float 0.2 → "0.2", 5e-5 → "5e-05"), booleans as "true"/"false", nil as
/// an absent key. A value may write its fields from several parts by encoding each part into the
/// same encoder (e.g. a result row = its record + its provenance).
public enum TextFields {
    /// The fields of `value`, key → text.
    /// - Precondition: `value` is flat (nested containers are programmer errors).
    public static func encode(_ value: some Encodable) throws -> [String: String] {
        let sink = FieldSink()
        try value.encode(to: FieldEncoder(sink: sink, codingPath: []))
        return sink.fields
    }
}

/// Where the encoders of one value collect its fields.
final class FieldSink {
    var fields: [String: String] = [:]
}

struct FieldEncoder: Encoder {
    let sink: FieldSink
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        precondition(codingPath.isEmpty, "text fields: \(path) is a nested value; only flat values encode as fields")
        return KeyedEncodingContainer(FieldKeyedEncoder<Key>(sink: sink, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        preconditionFailure("text fields: \(path) is a list; only flat values encode as fields")
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        precondition(!codingPath.isEmpty, "text fields: a single value has no key to be stored under")
        return FieldValueEncoder(sink: sink, codingPath: codingPath)
    }

    var path: String { codingPath.map(\.stringValue).joined(separator: ".") }
}

/// The text of a field's value.
private func fieldText<T: LosslessStringConvertible>(_ value: T) -> String { value.description }

struct FieldKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: FieldSink
    var codingPath: [any CodingKey]

    private func put(_ text: String, _ key: Key) { sink.fields[key.stringValue] = text }

    mutating func encodeNil(forKey key: Key) throws { sink.fields[key.stringValue] = nil }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(fieldText(value), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try value.encode(to: FieldEncoder(sink: sink, codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        preconditionFailure("text fields: \(key.stringValue) is a nested value; only flat values encode as fields")
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        preconditionFailure("text fields: \(key.stringValue) is a list; only flat values encode as fields")
    }

    mutating func superEncoder() -> any Encoder { FieldEncoder(sink: sink, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { FieldEncoder(sink: sink, codingPath: codingPath) }
}

/// A value that encodes itself as one primitive (a string-backed enum, `MethodName`), stored
/// under the last key of its path.
struct FieldValueEncoder: SingleValueEncodingContainer {
    let sink: FieldSink
    var codingPath: [any CodingKey]

    private func put(_ text: String?) { sink.fields[codingPath[codingPath.count - 1].stringValue] = text }

    mutating func encodeNil() throws { put(nil) }
    mutating func encode(_ value: Bool) throws { put(fieldText(value)) }
    mutating func encode(_ value: String) throws { put(value) }
    mutating func encode(_ value: Double) throws { put(fieldText(value)) }
    mutating func encode(_ value: Float) throws { put(fieldText(value)) }
    mutating func encode(_ value: Int) throws { put(fieldText(value)) }
    mutating func encode(_ value: Int8) throws { put(fieldText(value)) }
    mutating func encode(_ value: Int16) throws { put(fieldText(value)) }
    mutating func encode(_ value: Int32) throws { put(fieldText(value)) }
    mutating func encode(_ value: Int64) throws { put(fieldText(value)) }
    mutating func encode(_ value: UInt) throws { put(fieldText(value)) }
    mutating func encode(_ value: UInt8) throws { put(fieldText(value)) }
    mutating func encode(_ value: UInt16) throws { put(fieldText(value)) }
    mutating func encode(_ value: UInt32) throws { put(fieldText(value)) }
    mutating func encode(_ value: UInt64) throws { put(fieldText(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try value.encode(to: FieldEncoder(sink: sink, codingPath: codingPath))
    }
}
