import Foundation
import Testing
import ModelFormats

@Suite struct GGUFMetadataTests {
    static let values: [(String, GGUFValue)] = [
        ("u8", .uint8(250)), ("i8", .int8(-7)), ("u16", .uint16(65_000)), ("i16", .int16(-30_000)),
        ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("f32", .float32(0.15625)),
        ("bool.true", .bool(true)), ("bool.false", .bool(false)), ("string", .string("héllo ▁wörld\n")),
        ("empty.string", .string("")), ("u64", .uint64(UInt64.max)), ("i64", .int64(Int64.min)),
        ("f64", .float64(1e300)),
        ("strings", .array([.string("a"), .string(""), .string("<0x0A>")])),
        ("floats", .array([.float32(1), .float32(-2.5)])),
        ("ints", .array([.int32(3), .int32(-4)])),
        ("nested", .array([.array([.uint8(1), .uint8(2)]), .array([.uint8(3)])])),
        ("empty.array", .array([])),
    ]

    func file(version: UInt32 = 3) throws -> (GGUFFile, TemporaryDirectory) {
        var writer = GGUFWriter()
        writer.version = version
        for (key, value) in Self.values { writer.add(key, value) }
        let directory = try TemporaryDirectory()
        return (try GGUFFile(contentsOf: directory.write(writer)), directory)
    }

    @Test(arguments: [UInt32(2), 3])
    func everyValueTypeRoundTrips(version: UInt32) throws {
        let (file, _) = try file(version: version)
        #expect(file.version == Int(version))
        #expect(file.metadataKeys == Self.values.map(\.0))
        #expect(file.tensors.isEmpty)
        for (key, value) in Self.values {
            #expect(file.metadata[key] == value, "\(key)")
        }
    }

    @Test func typedAccessors() throws {
        let (file, _) = try file()
        #expect(try file.int("u8") == 250)
        #expect(try file.int("i64") == Int(Int64.min))
        #expect(try file.float("f32") == 0.15625)
        #expect(try file.float("u32") == 4_000_000_000)  // integers convert to Float
        #expect(try file.float("f64") == Float(1e300))
        #expect(try file.bool("bool.true"))
        #expect(try file.string("string") == "héllo ▁wörld\n")
        #expect(try file.strings("strings") == ["a", "", "<0x0A>"])
        #expect(try file.floats("floats") == [1, -2.5])
        #expect(try file.ints("ints") == [3, -4])
        #expect(try file.strings("empty.array") == [])
        #expect(try file.optionalString("absent") == nil)
        #expect(try file.optionalInt("u16") == 65_000)
        #expect(try file.optionalFloats("absent") == nil)
        #expect(GGUFValue.uint64(UInt64.max).asInt == nil)      // does not fit in Int
        #expect(GGUFValue.bool(true).asInt == nil)
        #expect(GGUFValue.array([.string("x"), .int8(1)]).asStrings == nil)
        #expect(file.metadata["nested"]?.asArray?.count == 2)
    }

    @Test func typedAccessorErrorsNameKeyAndFile() throws {
        let (file, _) = try file()
        let path = file.path
        #expect(throws: ModelFormatError.missingMetadata(path: path, key: "llama.block_count")) {
            try file.int("llama.block_count")
        }
        #expect(throws: ModelFormatError.metadataTypeMismatch(path: path, key: "string", expected: "integer", found: "string")) {
            try file.int("string")
        }
        #expect(throws: ModelFormatError.metadataTypeMismatch(path: path, key: "ints", expected: "array of string", found: "array of int32")) {
            try file.strings("ints")
        }
        #expect(throws: ModelFormatError.metadataTypeMismatch(path: path, key: "u8", expected: "bool", found: "uint8")) {
            try file.optionalBool("u8")
        }
        #expect(throws: ModelFormatError.missingMetadata(path: path, key: "general.architecture")) {
            try file.architecture()
        }
        let message = ModelFormatError.metadataTypeMismatch(path: path, key: "u8", expected: "bool", found: "uint8").description
        #expect(message.hasPrefix(path + ": ") && message.contains("'u8'"))
    }

    /// A vocabulary the size of Gemma's (262,144 strings) parses fast.
    @Test func largeStringArrayParsesQuickly() throws {
        var writer = GGUFWriter()
        let tokens = (0..<262_144).map { GGUFValue.string("tok\($0)") }
        writer.add("tokenizer.ggml.tokens", .array(tokens))
        let directory = try TemporaryDirectory()
        let url = try directory.write(writer)
        let started = Date()
        let file = try GGUFFile(contentsOf: url)
        let seconds = Date().timeIntervalSince(started)
        let parsed = try file.strings("tokenizer.ggml.tokens")
        #expect(parsed.count == 262_144 && parsed[1234] == "tok1234")
        // Release builds take well under 0.5 s; debug builds are several times slower.
        #expect(seconds < 2.0, "took \(seconds) s")
    }
}
