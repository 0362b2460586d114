import TestSupport
import Foundation
import Testing
import ModelFormats

/// Every broken file must throw a ModelFormatError whose message starts with the file path;
/// none may crash or allocate for a lying count.
@Suite struct GGUFMalformedTests {
    /// A valid little file to break: two metadata keys and one F32 tensor of 8 values.
    static func validWriter() -> GGUFWriter {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("llama"))
        writer.add("llama.block_count", .uint32(2))
        var floats = ByteBuilder()
        for i in 0..<8 { floats.f32(Float(i)) }
        writer.addTensor("weight", dimensions: [4, 2], type: .f32, data: floats.bytes)
        return writer
    }

    /// Parses `writer`'s bytes and returns the error, checking it names the file.
    func parseError(_ writer: GGUFWriter, sourceLocation: SourceLocation = #_sourceLocation) throws -> ModelFormatError? {
        try parse(writer.bytes(), sourceLocation: sourceLocation).error
    }

    func parseError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> ModelFormatError? {
        try parse(bytes, sourceLocation: sourceLocation).error
    }

    /// The error and the path of the file it came from, to compare with a fully built error.
    func parse(_ writer: GGUFWriter, sourceLocation: SourceLocation = #_sourceLocation) throws -> (error: ModelFormatError?, path: String) {
        try parse(writer.bytes(), sourceLocation: sourceLocation)
    }

    func parse(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> (error: ModelFormatError?, path: String) {
        let directory = try TemporaryDirectory()
        let url = try directory.write(bytes, named: "broken.gguf")
        let result = Result { () throws(ModelFormatError) in try GGUFFile(contentsOf: url) }
        guard case .failure(let error) = result else {
            Issue.record("parsing succeeded", sourceLocation: sourceLocation)
            return (nil, url.path)
        }
        #expect(error.path == url.path, sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix(url.path + ": "), "\(error)", sourceLocation: sourceLocation)
        return (error, url.path)
    }

    @Test func validWriterParses() throws {
        let directory = try TemporaryDirectory()
        let file = try GGUFFile(contentsOf: directory.write(Self.validWriter()))
        #expect(try file.dequantize(named: "weight") == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(try file.dequantizeRows(file.tensorInfo(named: "weight"), rows: 1..<2) == [4, 5, 6, 7])
    }

    @Test func wrongMagic() throws {
        var writer = Self.validWriter()
        writer.magic = 0x4C4C_4747  // "GGLL"
        let (error, path) = try parse(writer)
        #expect(error == .badMagic(path: path, found: 0x4C4C_4747))
    }

    @Test(arguments: [UInt32(0), 1, 4, 0x0300_0000])
    func unsupportedVersion(version: UInt32) throws {
        var writer = Self.validWriter()
        writer.version = version
        let error = try parseError(writer)
        guard case .unsupportedVersion(_, let found) = error else {
            Issue.record("expected unsupportedVersion, got \(String(describing: error))")
            return
        }
        #expect(found == version)
        if version == 1 { #expect(error!.description.contains("v1")) }
    }

    @Test(arguments: [0, 3, 6, 10, 20])
    func truncatedHeader(length: Int) throws {
        let bytes = Array(Self.validWriter().bytes().prefix(length))
        let error = try parseError(bytes)
        guard case .truncated = error else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
    }

    /// Cutting the file anywhere inside the metadata or the tensor table gives a clean error.
    @Test func truncatedAnywhere() throws {
        let bytes = Self.validWriter().bytes()
        for length in 24..<(bytes.count - 32) {
            let error = try parseError(Array(bytes.prefix(length)))
            #expect(error != nil, "cut at \(length)")
        }
    }

    @Test func truncatedMetadataString() throws {
        var b = ByteBuilder()
        b.u32(0x4655_4747); b.u32(3); b.u64(0); b.u64(1)
        b.string("general.name")
        b.u32(8)            // string
        b.u64(40)           // claims 40 bytes
        b.bytes.append(contentsOf: Array("short".utf8))
        let error = try parseError(b.bytes)
        guard case .implausibleCount(_, let what, 40, 5) = error else {
            Issue.record("expected implausibleCount, got \(String(describing: error))")
            return
        }
        #expect(what.contains("general.name"))
    }

    @Test func absurdTensorCount() throws {
        var writer = Self.validWriter()
        writer.tensorCountOverride = 1 << 60
        guard case .implausibleCount(_, "tensor count", 1 << 60, _) = try parseError(writer) else {
            Issue.record("expected implausibleCount for the tensor count")
            return
        }
    }

    @Test func absurdMetadataCount() throws {
        var writer = Self.validWriter()
        writer.metadataCountOverride = UInt64.max
        guard case .implausibleCount(_, "metadata count", UInt64.max, _) = try parseError(writer) else {
            Issue.record("expected implausibleCount for the metadata count")
            return
        }
    }

    @Test func absurdArrayLength() throws {
        var writer = Self.validWriter()
        var raw = ByteBuilder()
        raw.u32(4)                 // uint32 elements
        raw.u64(1 << 40)           // a trillion of them
        raw.u32(7)
        writer.metadata.append(("tokenizer.ggml.token_type", .raw(type: 9, bytes: raw.bytes)))
        guard case .implausibleCount(_, let what, 1 << 40, _) = try parseError(writer) else {
            Issue.record("expected implausibleCount for the array length")
            return
        }
        #expect(what.contains("tokenizer.ggml.token_type"))
    }

    @Test func absurdStringArrayLength() throws {
        var writer = Self.validWriter()
        var raw = ByteBuilder()
        raw.u32(8)                 // string elements: at least 8 bytes each
        raw.u64(100)
        raw.string("only one")
        writer.metadata.append(("tokenizer.ggml.tokens", .raw(type: 9, bytes: raw.bytes)))
        guard case .implausibleCount(_, _, 100, _) = try parseError(writer) else {
            Issue.record("expected implausibleCount for the string array length")
            return
        }
    }

    @Test func absurdStringLength() throws {
        var writer = Self.validWriter()
        var raw = ByteBuilder()
        raw.u64(UInt64.max)
        writer.metadata.append(("general.name", .raw(type: 8, bytes: raw.bytes)))
        guard case .implausibleCount(_, _, UInt64.max, _) = try parseError(writer) else {
            Issue.record("expected implausibleCount for the string length")
            return
        }
    }

    @Test func absurdKeyLength() throws {
        var b = ByteBuilder()
        b.u32(0x4655_4747); b.u32(3); b.u64(0); b.u64(1)
        b.u64(1 << 62)
        b.bytes.append(contentsOf: [UInt8](repeating: 65, count: 16))
        guard case .implausibleCount(_, _, 1 << 62, _) = try parseError(b.bytes) else {
            Issue.record("expected implausibleCount for the key length")
            return
        }
    }

    @Test(arguments: [UInt32(13), 255, 0xFFFF_FFFF])
    func unknownValueType(type: UInt32) throws {
        var writer = Self.validWriter()
        writer.metadata.append(("odd.key", .raw(type: type, bytes: [0, 0, 0, 0])))
        let (error, path) = try parse(writer)
        #expect(error == .unknownValueType(path: path, key: "odd.key", rawType: type))
    }

    @Test func unknownArrayElementType() throws {
        var writer = Self.validWriter()
        var raw = ByteBuilder()
        raw.u32(42)
        raw.u64(1)
        raw.u32(0)
        writer.metadata.append(("odd.array", .raw(type: 9, bytes: raw.bytes)))
        let (error, path) = try parse(writer)
        #expect(error == .unknownValueType(path: path, key: "odd.array", rawType: 42))
    }

    @Test func nestingTooDeep() throws {
        var writer = Self.validWriter()
        var value = GGUFValue.array([.uint8(1)])
        for _ in 0..<20 { value = .array([value]) }
        writer.add("deep", value)
        let (error, path) = try parse(writer)
        #expect(error == .nestingTooDeep(path: path, key: "deep", depth: 8))
    }

    @Test(arguments: [UInt32(4), 5, 31, 36, 40, 1000])
    func unknownTensorType(type: UInt32) throws {
        var writer = Self.validWriter()
        writer.tensors[0].type = type
        let (error, path) = try parse(writer)
        #expect(error == .unknownTensorType(path: path, tensor: "weight", rawType: type))
    }

    @Test func tensorDataPastEndOfFile() throws {
        var writer = Self.validWriter()
        let full = writer.bytes().count
        writer.truncateTo = full - 4
        guard case .tensorOutOfBounds(_, "weight", _, let end, let size) = try parseError(writer) else {
            Issue.record("expected tensorOutOfBounds")
            return
        }
        #expect(Int(end) == full && size == full - 4)
    }

    @Test func tensorOffsetFarPastEnd() throws {
        var writer = Self.validWriter()
        writer.truncateTo = writer.bytes().count
        writer.tensors[0].offset = UInt64.max - 31   // aligned, and start + size overflows
        guard case .tensorOutOfBounds(_, "weight", _, _, _) = try parseError(writer) else {
            Issue.record("expected tensorOutOfBounds")
            return
        }
    }

    @Test func misalignedOffset() throws {
        var writer = Self.validWriter()
        writer.tensors[0].offset = 8
        let (error, path) = try parse(writer)
        #expect(error == .misalignedTensor(path: path, tensor: "weight", offset: 8, alignment: 32))
    }

    @Test func customAlignmentIsHonoured() throws {
        var writer = Self.validWriter()
        writer.add("general.alignment", .uint32(64))
        writer.alignment = 64
        writer.addTensor("second", dimensions: [2], type: .f32, data: [0, 0, 128, 63, 0, 0, 0, 64])
        let directory = try TemporaryDirectory()
        let file = try GGUFFile(contentsOf: directory.write(writer))
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(try file.tensorInfo(named: "second").offset == 64)
        #expect(try file.dequantize(named: "second") == [1, 2])

        writer.tensors[1].offset = 32   // aligned to the default, not to 64
        let (error, path) = try parse(writer)
        #expect(error == .misalignedTensor(path: path, tensor: "second", offset: 32, alignment: 64))
    }

    @Test(arguments: [GGUFValue.uint32(0), .uint32(24), .uint64(32), .string("32")])
    func invalidAlignment(value: GGUFValue) throws {
        var writer = Self.validWriter()
        writer.add("general.alignment", value)
        guard case .invalidAlignment = try parseError(writer) else {
            Issue.record("expected invalidAlignment for \(value)")
            return
        }
    }

    @Test func dimensionProductOverflows() throws {
        var writer = Self.validWriter()
        writer.tensors[0].dimensions = [1 << 32, 1 << 32]
        guard case .invalidTensorShape(_, "weight", [1 << 32, 1 << 32], let reason) = try parseError(writer) else {
            Issue.record("expected invalidTensorShape")
            return
        }
        #expect(reason.contains("overflow"))
    }

    @Test func dimensionLargerThanInt() throws {
        var writer = Self.validWriter()
        writer.tensors[0].dimensions = [UInt64.max]
        guard case .invalidTensorShape(_, "weight", _, _) = try parseError(writer) else {
            Issue.record("expected invalidTensorShape")
            return
        }
    }

    @Test func byteCountOverflows() throws {
        var writer = Self.validWriter()
        writer.tensors[0].dimensions = [1 << 61, 2]   // fits in Int as elements, not as f32 bytes
        guard case .tensorOutOfBounds(_, "weight", _, _, _) = try parseError(writer) else {
            Issue.record("expected tensorOutOfBounds")
            return
        }
    }

    @Test func tooManyDimensions() throws {
        var writer = Self.validWriter()
        writer.tensors[0].dimensions = [2, 1, 1, 1, 4]
        guard case .invalidTensorShape(_, "weight", _, _) = try parseError(writer) else {
            Issue.record("expected invalidTensorShape")
            return
        }
    }

    @Test func rowNotWholeBlocks() throws {
        var writer = Self.validWriter()
        writer.tensors[0].type = GGMLType.q4_0.rawValue
        writer.tensors[0].dimensions = [30, 2]
        guard case .invalidTensorShape(_, "weight", [30, 2], let reason) = try parseError(writer) else {
            Issue.record("expected invalidTensorShape")
            return
        }
        #expect(reason.contains("block size 32"))
    }

    @Test func duplicateKey() throws {
        var writer = Self.validWriter()
        writer.add("llama.block_count", .uint32(3))
        let (error, path) = try parse(writer)
        #expect(error == .duplicateName(path: path, what: "metadata key", name: "llama.block_count"))
    }

    @Test func duplicateTensor() throws {
        var writer = Self.validWriter()
        writer.tensors.append(writer.tensors[0])
        let (error, path) = try parse(writer)
        #expect(error == .duplicateName(path: path, what: "tensor", name: "weight"))
    }

    @Test func missingFileAndDirectory() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.url.appendingPathComponent("absent.gguf")
        #expect(performing: { try GGUFFile(contentsOf: missing) }, throws: { error in
            guard let error = error as? ModelFormatError, case .cannotOpen(let path, _) = error else { return false }
            return path == missing.path && error.description.hasPrefix(missing.path)
        })
        #expect(performing: { try GGUFFile(contentsOf: directory.url) }, throws: { error in
            guard let error = error as? ModelFormatError, case .cannotOpen = error else { return false }
            return true
        })
    }

    @Test func unsupportedDequantizationIsNamed() throws {
        var writer = Self.validWriter()
        writer.addTensor("grid", dimensions: [256], type: .iq2_xxs, data: [UInt8](repeating: 0, count: 66))
        let directory = try TemporaryDirectory()
        let url = try directory.write(writer)
        let file = try GGUFFile(contentsOf: url)
        #expect(throws: ModelFormatError.unsupportedDequantization(path: url.path, tensor: "grid", type: "IQ2_XXS")) {
            try file.dequantize(named: "grid")
        }
        #expect(file.rawBytes(of: try file.tensorInfo(named: "grid")).count == 66)
    }

    /// Seeded random corruption of a valid file: every variant either parses (and then decodes
    /// every tensor) or throws a ModelFormatError; none crashes.
    @Test func randomCorruptionNeverCrashes() throws {
        var writer = Self.validWriter()
        writer.add("tokenizer.ggml.tokens", .array([.string("a"), .string("bc"), .string("")]))
        writer.add("tokenizer.ggml.scores", .array([.float32(0), .float32(-1), .float32(-2)]))
        writer.add("nested", .array([.array([.int16(1)]), .array([])]))
        var rng = SeededGenerator(seed: 2024)
        let q4 = BlockEncoders.encode(.q4_K, blocks: 2, using: &rng)
        writer.addTensor("q4", dimensions: [256, 2], type: .q4_K, data: q4.bytes)
        let original = writer.bytes()
        let directory = try TemporaryDirectory()
        var parsed = 0, refused = 0, decoded = 0
        for round in 0..<400 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[position] = round % 3 == 0 ? 0xFF : UInt8.random(in: 0...255, using: &rng)
            }
            if round % 5 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng))) }
            let url = try directory.write(bytes, named: "fuzz\(round % 8).gguf")
            let result = Result { () throws(ModelFormatError) in try GGUFFile(contentsOf: url) }
            switch result {
            case .success(let file):
                parsed += 1
                for info in file.tensors where info.type.isDequantizable {
                    _ = try file.dequantize(info)
                    decoded += 1
                }
            case .failure(let error):
                refused += 1
                #expect(error.description.hasPrefix(url.path + ": "), "\(error)")
            }
        }
        // Both outcomes occur, so both branches above were exercised: some corrupted files still
        // parse and decode a tensor, many are refused.
        #expect(parsed > 0 && decoded > 0, "parsed \(parsed), decoded \(decoded) tensors")
        #expect(refused > 100, "refused \(refused)")
    }
}
