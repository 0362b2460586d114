import Foundation
import Testing
import ModelFormats
import TestSupport

/// Builds a safetensors file from a header given as JSON text and raw data bytes.
func safetensorsBytes(header: String, data: [UInt8]) -> [UInt8] {
    var b = ByteBuilder()
    let json = Array(header.utf8)
    b.u64(UInt64(json.count))
    b.bytes += json + data
    return b.bytes
}

@Suite struct SafetensorsReadTests {
    static let tinyFamilies = ["llama", "mistral", "qwen3", "mixtral", "gemma3"]

    @Test(arguments: tinyFamilies)
    func tinyCheckpointsMatchTheirConfig(family: String) throws {
        let folder = SharedPaths.reference.appendingPathComponent("tiny/\(family)")
        let configData = try Data(contentsOf: requireFile(folder.appendingPathComponent("config.json")))
        var config = try #require(try JSONSerialization.jsonObject(with: configData) as? [String: Any])
        if let text = config["text_config"] as? [String: Any] { config.merge(text) { $1 } }
        let hidden = try #require(config["hidden_size"] as? Int)
        let vocab = try #require(config["vocab_size"] as? Int)
        let layers = try #require(config["num_hidden_layers"] as? Int)

        let weights = try ShardedSafetensors(folder: folder)
        let (file, embedding) = try weights.info(named: "model.embed_tokens.weight")
        #expect(embedding.shape == [vocab, hidden])
        #expect(embedding.dtype == .f32)
        #expect(file.url.lastPathComponent == "model.safetensors")
        let norm = try weights.floats(named: "model.layers.\(layers - 1).input_layernorm.weight")
        #expect(norm.count == hidden)
        #expect(!weights.contains("model.layers.\(layers).input_layernorm.weight"))
        #expect(weights.tensorNames.filter { $0.hasSuffix("input_layernorm.weight") }.count == layers)
        // Every tensor converts, and its values equal the raw little-endian floats.
        for name in weights.tensorNames {
            let (file, info) = try weights.info(named: name)
            let values = try file.floats(of: info)
            #expect(values.count == info.elementCount)
            let raw = file.rawBytes(of: info)
            #expect(raw.count == 4 * values.count)
            if let last = values.last {
                #expect(raw.loadUnaligned(fromByteOffset: raw.count - 4, as: Float.self) == last)
            }
        }
    }

    @Test func llamaShapesFollowConfig() throws {
        let weights = try ShardedSafetensors(folder: SharedPaths.reference.appendingPathComponent("tiny/llama"))
        // hidden 64, 4 heads × 16, 2 KV heads, FFN 128, vocab 384, untied lm_head.
        #expect(try weights.info(named: "model.layers.0.self_attn.q_proj.weight").info.shape == [64, 64])
        #expect(try weights.info(named: "model.layers.0.self_attn.k_proj.weight").info.shape == [32, 64])
        #expect(try weights.info(named: "model.layers.0.mlp.down_proj.weight").info.shape == [64, 128])
        #expect(try weights.info(named: "lm_head.weight").info.shape == [384, 64])
        #expect(weights.tensorNames.count == 3 * 9 + 3)
        #expect(throws: ModelFormatError.missingTensor(path: weights.folder.path, tensor: "nope")) {
            try weights.floats(named: "nope")
        }
    }

    /// The activation fixtures: shapes follow reference.json, and the I32 arg-max rows end with
    /// the greedy token reference.json records for the same prompt.
    @Test(arguments: DequantFixture.allCases)
    func activationFixturesParse(fixture: DequantFixture) throws {
        let file = try SafetensorsFile(contentsOf: requireFile(fixture.folder.appendingPathComponent("tensors.safetensors")))
        let referenceData = try Data(contentsOf: requireFile(fixture.folder.appendingPathComponent("reference.json")))
        let reference = try #require(try JSONSerialization.jsonObject(with: referenceData) as? [String: Any])
        let layers = try #require(reference["layers"] as? Int)
        let heads = try #require(reference["heads"] as? Int)
        let headDim = try #require(reference["head_dim"] as? Int)
        let prompts = try #require(reference["prompts"] as? [[String: Any]])
        #expect(try file.info(named: "prompt0.head_outputs_last").shape == [layers, heads, headDim])
        #expect(try file.floats(named: "prompt0.head_outputs_last").count == layers * heads * headDim)
        for prompt in prompts {
            let index = try #require(prompt["index"] as? Int)
            let tokens = try #require(prompt["token_ids"] as? [Int])
            let greedy = try #require(prompt["greedy_token"] as? Int)
            let top1 = try file.ints(named: "prompt\(index).logits_all_positions_top1")
            #expect(top1.count == tokens.count, "prompt \(index)")
            #expect(top1.last == greedy, "prompt \(index)")
        }
        #expect(throws: ModelFormatError.notFloatingPoint(path: file.path, tensor: "prompt0.logits_all_positions_top1", dtype: "I32")) {
            try file.floats(named: "prompt0.logits_all_positions_top1")
        }
        #expect(throws: ModelFormatError.notInteger(path: file.path, tensor: "prompt0.head_outputs_last", dtype: "F32")) {
            try file.ints(named: "prompt0.head_outputs_last")
        }
    }

    @Test func halfBFloatAndDoubleConvert() throws {
        var data = ByteBuilder()
        let halves: [Float16] = [1, -2.5, 0.000_061_035_156_25, 65504]
        for h in halves { data.u16(h.bitPattern) }
        let bfloats: [Float] = [1, -3.140625, 1e30]
        for f in bfloats { data.u16(UInt16(f.bitPattern >> 16)) }
        data.f64(0.1)
        data.u16(7); data.u16(0)   // I16 7, 0
        let header = """
        {"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]},\
        "d":{"dtype":"F64","shape":[],"data_offsets":[14,22]},"i":{"dtype":"I16","shape":[2],"data_offsets":[22,26]},\
        "__metadata__":{"format":"pt"}}
        """
        let directory = try TemporaryDirectory()
        let file = try SafetensorsFile(contentsOf: directory.write(safetensorsBytes(header: header, data: data.bytes), named: "mixed.safetensors"))
        #expect(try file.floats(named: "h") == halves.map(Float.init))
        #expect(try file.floats(named: "b") == bfloats.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) })
        #expect(try file.floats(named: "d") == [Float(0.1)])
        #expect(try file.ints(named: "i") == [7, 0])
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensorNames == ["h", "b", "d", "i"])
    }
}

@Suite struct SafetensorsWriterTests {
    @Test func roundTrip() throws {
        var rng = SeededGenerator(seed: 7)
        let a = (0..<24).map { _ in Float.random(in: -1...1, using: &rng) }
        let b: [Float] = [.infinity, -0.0, .leastNonzeroMagnitude]
        let tensors: [(name: String, shape: [Int], values: [Float])] = [
            ("layer.\"quoted\"\\name", [2, 3, 4], a), ("scalar-ish", [3], b), ("empty", [0, 5], []),
        ]
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("out.safetensors")
        try SafetensorsWriter.write(tensors, to: url, metadata: ["step": "400", "note": "tab\there"])
        let file = try SafetensorsFile(contentsOf: url)
        #expect(try file.floats(named: "layer.\"quoted\"\\name") == a)
        #expect(try file.floats(named: "scalar-ish").map(\.bitPattern) == b.map(\.bitPattern))
        #expect(try file.info(named: "layer.\"quoted\"\\name").shape == [2, 3, 4])
        #expect(try file.floats(named: "empty") == [])
        #expect(file.metadata == ["step": "400", "note": "tab\there"])
        #expect(file.tensorNames == ["layer.\"quoted\"\\name", "scalar-ish", "empty"])
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
        #expect(bytes.count == 8 + Int(headerLength) + 4 * (24 + 3))
    }

    @Test func refusesInconsistentInput() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("bad.safetensors")
        #expect(throws: ModelFormatError.self) {
            try SafetensorsWriter.write([("x", [2, 2], [1, 2, 3])], to: url)
        }
        #expect(throws: ModelFormatError.self) {
            try SafetensorsWriter.write([("x", [1], [1]), ("x", [1], [2])], to: url)
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        let unwritable = directory.url.appendingPathComponent("no/such/dir/x.safetensors")
        #expect(performing: { try SafetensorsWriter.write([("x", [1], [1])], to: unwritable) }, throws: { error in
            guard let error = error as? ModelFormatError, case .cannotWrite(let path, _) = error else { return false }
            return path == unwritable.path
        })
    }
}

@Suite struct SafetensorsMalformedTests {
    static let goodData = [UInt8](repeating: 0, count: 16)

    func error(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> (ModelFormatError?, String) {
        let directory = try TemporaryDirectory()
        let url = try directory.write(bytes, named: "broken.safetensors")
        let result = Result { () throws(ModelFormatError) in try SafetensorsFile(contentsOf: url) }
        guard case .failure(let error) = result else {
            Issue.record("parsing succeeded", sourceLocation: sourceLocation)
            return (nil, url.path)
        }
        #expect(error.description.hasPrefix(url.path + ": "), "\(error)", sourceLocation: sourceLocation)
        return (error, url.path)
    }

    func error(header: String, data: [UInt8] = goodData, sourceLocation: SourceLocation = #_sourceLocation) throws -> (ModelFormatError?, String) {
        try error(safetensorsBytes(header: header, data: data), sourceLocation: sourceLocation)
    }

    @Test func tooShortForHeaderLength() throws {
        guard case .truncated = try error([1, 2, 3]).0 else { Issue.record("expected truncated"); return }
    }

    @Test func headerLengthPastEnd() throws {
        var b = ByteBuilder()
        b.u64(1 << 40)
        b.bytes += Array("{}".utf8)
        guard case .invalidHeader(_, let reason) = try error(b.bytes).0 else { Issue.record("expected invalidHeader"); return }
        #expect(reason.contains("past the end"))
    }

    @Test(arguments: ["{not json", "[1, 2]", "\"text\"", "{\"x\": 3}", "{\"x\": {\"shape\": [4]}}",
                      "{\"x\": {\"dtype\": \"F32\", \"shape\": [-4], \"data_offsets\": [0, 16]}}",
                      "{\"x\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 16]}}",
                      "{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [16, 0]}}",
                      "{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0]}}",
                      "{\"__metadata__\": [1]}"])
    func badHeaders(header: String) throws {
        guard case .invalidHeader = try error(header: header).0 else { Issue.record("expected invalidHeader for \(header)"); return }
    }

    @Test func unknownDType() throws {
        let (e, path) = try error(header: "{\"x\": {\"dtype\": \"F7\", \"shape\": [4], \"data_offsets\": [0, 16]}}")
        #expect(e == .unknownDType(path: path, tensor: "x", dtype: "F7"))
    }

    @Test func dataPastEnd() throws {
        let (e, _) = try error(header: "{\"x\": {\"dtype\": \"F32\", \"shape\": [8], \"data_offsets\": [0, 32]}}")
        guard case .tensorOutOfBounds(_, "x", _, _, _) = e else { Issue.record("expected tensorOutOfBounds"); return }
    }

    @Test func hugeOffsetsDoNotOverflow() throws {
        let (e, _) = try error(header: "{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [9223372036854775800, 9223372036854775807]}}")
        guard case .tensorOutOfBounds(_, "x", _, _, _) = e else { Issue.record("expected tensorOutOfBounds, got \(String(describing: e))"); return }
    }

    @Test func byteCountMismatch() throws {
        let (e, path) = try error(header: "{\"x\": {\"dtype\": \"F16\", \"shape\": [4], \"data_offsets\": [0, 16]}}")
        #expect(e == .byteCountMismatch(path: path, tensor: "x", expected: 8, found: 16))
    }

    @Test func shapeOverflow() throws {
        let (e, _) = try error(header: "{\"x\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 16]}}")
        guard case .invalidHeader(_, let reason) = e else { Issue.record("expected invalidHeader"); return }
        #expect(reason.contains("overflow"))
    }

    /// Seeded random corruption of a valid file never crashes the reader.
    @Test func randomCorruptionNeverCrashes() throws {
        let directory = try TemporaryDirectory()
        let valid = directory.url.appendingPathComponent("valid.safetensors")
        try SafetensorsWriter.write([("a", [2, 3], [1, 2, 3, 4, 5, 6]), ("b", [4], [7, 8, 9, 10])], to: valid,
                                    metadata: ["k": "v"])
        let original = try [UInt8](Data(contentsOf: valid))
        var rng = SeededGenerator(seed: 99)
        var refused = 0
        for round in 0..<300 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let position = Int.random(in: 0..<min(bytes.count, 8 + 200), using: &rng)
                bytes[position] = UInt8.random(in: 0...255, using: &rng)
            }
            let url = try directory.write(bytes, named: "fuzz\(round % 4).safetensors")
            let result = Result { () throws(ModelFormatError) in try SafetensorsFile(contentsOf: url) }
            switch result {
            case .success(let file):
                for info in file.tensors.values where info.dtype.isFloatingPoint { _ = try file.floats(of: info) }
            case .failure(let error):
                refused += 1
                #expect(error.description.hasPrefix(url.path + ": "), "\(error)")
            }
        }
        #expect(refused > 50)
    }

    @Test func overlappingRanges() throws {
        let (e, path) = try error(header: """
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
        """)
        #expect(e == .overlappingTensors(path: path, first: "a", second: "b"))
    }
}

@Suite struct ShardedSafetensorsTests {
    func writeShards(in directory: TemporaryDirectory, index: String) throws {
        try SafetensorsWriter.write([("a", [2], [1, 2]), ("b", [1], [3])], to: directory.url.appendingPathComponent("model-00001-of-00002.safetensors"))
        try SafetensorsWriter.write([("c", [2, 1], [4, 5])], to: directory.url.appendingPathComponent("model-00002-of-00002.safetensors"))
        _ = try directory.write(Array(index.utf8), named: "model.safetensors.index.json")
    }

    @Test func readsAcrossShards() throws {
        let directory = try TemporaryDirectory()
        try writeShards(in: directory, index: """
        {"metadata": {"total_size": 20}, "weight_map": {"a": "model-00001-of-00002.safetensors", \
        "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}
        """)
        let weights = try ShardedSafetensors(folder: directory.url)
        #expect(weights.tensorNames == ["a", "b", "c"])
        #expect(try weights.floats(named: "a") == [1, 2])
        #expect(try weights.floats(named: "c") == [4, 5])
        #expect(try weights.info(named: "c").file.url.lastPathComponent == "model-00002-of-00002.safetensors")
        #expect(try weights.info(named: "c").info.shape == [2, 1])
    }

    @Test func missingShardIsNamed() throws {
        let directory = try TemporaryDirectory()
        try writeShards(in: directory, index: """
        {"weight_map": {"a": "model-00001-of-00002.safetensors", "z": "model-00003-of-00003.safetensors"}}
        """)
        let index = directory.url.appendingPathComponent("model.safetensors.index.json").path
        #expect(throws: ModelFormatError.missingShard(path: index, shard: "model-00003-of-00003.safetensors", tensor: "z")) {
            try ShardedSafetensors(folder: directory.url)
        }
    }

    @Test func tensorMissingFromItsShard() throws {
        let directory = try TemporaryDirectory()
        try writeShards(in: directory, index: "{\"weight_map\": {\"c\": \"model-00001-of-00002.safetensors\"}}")
        let shard = directory.url.appendingPathComponent("model-00001-of-00002.safetensors").path
        #expect(throws: ModelFormatError.missingTensor(path: shard, tensor: "c")) {
            try ShardedSafetensors(folder: directory.url)
        }
    }

    @Test func badIndexAndEmptyFolder() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: ModelFormatError.noSafetensors(path: directory.url.path)) {
            try ShardedSafetensors(folder: directory.url)
        }
        try writeShards(in: directory, index: "{\"weight_map\": [1]}")
        #expect(performing: { try ShardedSafetensors(folder: directory.url) }, throws: { error in
            guard let error = error as? ModelFormatError, case .invalidHeader(let path, _) = error else { return false }
            return path.hasSuffix("model.safetensors.index.json")
        })
    }

    @Test func shardPathsMayNotEscapeTheFolder() throws {
        let directory = try TemporaryDirectory()
        try writeShards(in: directory, index: "{\"weight_map\": {\"a\": \"../model-00001-of-00002.safetensors\"}}")
        #expect(performing: { try ShardedSafetensors(folder: directory.url) }, throws: { error in
            guard let error = error as? ModelFormatError, case .missingShard = error else { return false }
            return true
        })
    }
}
