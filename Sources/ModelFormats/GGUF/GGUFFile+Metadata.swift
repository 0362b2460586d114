/// Typed metadata access. The throwing forms name the key and the file when the key is missing
/// or holds another type; the optional forms return nil for a missing key but still throw on a
/// wrong type, since a present value of the wrong type is a broken file, not an absent setting.
extension GGUFFile {
    private func value(_ key: String) throws(ModelFormatError) -> GGUFValue {
        guard let value = metadata[key] else { throw .missingMetadata(path: path, key: key) }
        return value
    }

    private func mismatch(_ key: String, _ expected: String, _ value: GGUFValue) -> ModelFormatError {
        .metadataTypeMismatch(path: path, key: key, expected: expected, found: value.typeName)
    }

    public func string(_ key: String) throws(ModelFormatError) -> String {
        let v = try value(key)
        guard let s = v.asString else { throw mismatch(key, "string", v) }
        return s
    }

    public func int(_ key: String) throws(ModelFormatError) -> Int {
        let v = try value(key)
        guard let i = v.asInt else { throw mismatch(key, "integer", v) }
        return i
    }

    public func float(_ key: String) throws(ModelFormatError) -> Float {
        let v = try value(key)
        guard let f = v.asFloat else { throw mismatch(key, "number", v) }
        return f
    }

    public func bool(_ key: String) throws(ModelFormatError) -> Bool {
        let v = try value(key)
        guard let b = v.asBool else { throw mismatch(key, "bool", v) }
        return b
    }

    public func strings(_ key: String) throws(ModelFormatError) -> [String] {
        let v = try value(key)
        guard let s = v.asStrings else { throw mismatch(key, "array of string", v) }
        return s
    }

    public func floats(_ key: String) throws(ModelFormatError) -> [Float] {
        let v = try value(key)
        guard let f = v.asFloats else { throw mismatch(key, "array of number", v) }
        return f
    }

    public func ints(_ key: String) throws(ModelFormatError) -> [Int] {
        let v = try value(key)
        guard let i = v.asInts else { throw mismatch(key, "array of integer", v) }
        return i
    }

    public func optionalString(_ key: String) throws(ModelFormatError) -> String? {
        metadata[key] == nil ? nil : try string(key)
    }

    public func optionalInt(_ key: String) throws(ModelFormatError) -> Int? {
        metadata[key] == nil ? nil : try int(key)
    }

    public func optionalFloat(_ key: String) throws(ModelFormatError) -> Float? {
        metadata[key] == nil ? nil : try float(key)
    }

    public func optionalBool(_ key: String) throws(ModelFormatError) -> Bool? {
        metadata[key] == nil ? nil : try bool(key)
    }

    public func optionalStrings(_ key: String) throws(ModelFormatError) -> [String]? {
        metadata[key] == nil ? nil : try strings(key)
    }

    public func optionalFloats(_ key: String) throws(ModelFormatError) -> [Float]? {
        metadata[key] == nil ? nil : try floats(key)
    }

    public func optionalInts(_ key: String) throws(ModelFormatError) -> [Int]? {
        metadata[key] == nil ? nil : try ints(key)
    }

    /// `general.architecture`, the key that selects a model family.
    public func architecture() throws(ModelFormatError) -> String {
        try string("general.architecture")
    }
}
