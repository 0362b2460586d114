/// Why a set of text fields does not decode into a value.
public enum TextFieldsError: Error, CustomStringConvertible, Equatable {
    /// A field the value needs is absent.
    case missingField(key: String)
    /// A field holds text that is not a value of its type; `expected` says what it should hold.
    case badValue(key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .missingField(key): return "field \(key) is missing"
        case let .badValue(key, value, expected): return "field \(key) holds '\(value)', expected \(expected)"
        }
    }
}
