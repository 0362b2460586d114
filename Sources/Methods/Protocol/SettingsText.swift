import ModelFormats

/// A method's settings as text, key → value: what names a result cell and a cached artifact.
/// Made from a method's `Encodable` form (`TextFields`), so the typed settings are the one
/// source; the text only renders them. Canonical form: "k=v;k=v" with the keys sorted.
public struct SettingsText: Hashable, Sendable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// The fields of `settings`.
    /// - Precondition: `settings` is flat (numbers, strings, booleans, string-backed enums).
    public init(of settings: some Encodable) {
        do {
            values = try TextFields.encode(settings)
        } catch {
            preconditionFailure("settings of \(type(of: settings)) do not encode as text fields: \(error)")
        }
    }

    /// Settings read back from their canonical text.
    /// - Throws: `TextFieldsError.badValue` (key "settings") for a pair without "=" or a key given twice.
    public init(canonical text: String) throws {
        var values = [String: String]()
        for pair in text.split(separator: ";", omittingEmptySubsequences: true) {
            guard let eq = pair.firstIndex(of: "="), values[String(pair[..<eq])] == nil else {
                throw TextFieldsError.badValue(key: "settings", value: text, expected: "k=v pairs with distinct keys, separated by ;")
            }
            values[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        self.values = values
    }

    public subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// These settings with `other`'s added; `other` wins on a shared key.
    public func merging(_ other: [String: String]) -> SettingsText {
        SettingsText(values.merging(other) { $1 })
    }

    /// "k=v;k=v", keys sorted.
    public var canonical: String {
        values.keys.sorted().map { "\($0)=\(values[$0] ?? "")" }.joined(separator: ";")
    }

    /// SHA-256 (hex) of `canonical`: the name of an artifact's settings.
    public var hash: String { SHA256.hexDigest(of: Array(canonical.utf8)) }

    /// The typed settings these are the text of.
    /// - Throws: `TextFieldsError` for a missing key or a value that does not parse.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T { try TextFields.decode(type, from: values) }
}
