import Foundation
import Testing
import Models
import Tensors
import TestSupport

/// Every tiny random-weight checkpoint of ../shared/reference/tiny reproduces the logits that
/// Hugging Face transformers computed (golden.json) at every position of both sequences.
@Suite struct TinyCheckpointTests {
    struct Golden: Decodable {
        struct Sequence: Decodable {
            let token_ids: [Int]
            let logits: [[Float]]
        }
        let family: String
        let sequences: [Sequence]
    }

    static let families = ["llama", "mistral", "qwen3", "mixtral", "gemma3"]

    func load(_ family: String) throws -> (Decoder, Golden) {
        let folder = SharedPaths.reference.appendingPathComponent("tiny/\(family)")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: folder.appendingPathComponent("golden.json")))
        return (try DecoderLoader.load(huggingFaceFolder: folder), golden)
    }

    @Test(arguments: families)
    func logitsMatchTransformersAtEveryPosition(family: String) throws {
        let (decoder, golden) = try load(family)
        // Both sequences in one ragged batch, so batching is checked too.
        let output = decoder.forward(golden.sequences.map(\.token_ids), caches: golden.sequences.map { _ in decoder.makeCache() }, logits: .all)
        let logits = try #require(output.logits).value
        let v = decoder.configuration.vocabularySize
        var row = 0, worst: Float = 0
        for sequence in golden.sequences {
            for expected in sequence.logits {
                #expect(expected.count == v)
                for (j, e) in expected.enumerated() { worst = max(worst, abs(logits.scalars[row * v + j] - e)) }
                row += 1
            }
        }
        #expect(row == logits.shape[0])
        #expect(worst < 1e-4, "\(family): largest logit difference \(worst)")
    }

    @Test(arguments: families)
    func incrementalDecodingMatchesOneShotForward(family: String) throws {
        let (decoder, golden) = try load(family)
        let tokens = golden.sequences[0].token_ids
        let cache = decoder.makeCache()
        _ = decoder.forward([Array(tokens.prefix(5))], caches: [cache], logits: .none)
        var worst: Float = 0
        let v = decoder.configuration.vocabularySize
        for t in 5..<tokens.count {
            let logits = try #require(decoder.forward([[tokens[t]]], caches: [cache]).logits).value
            for j in 0..<v { worst = max(worst, abs(logits.scalars[j] - golden.sequences[0].logits[t][j])) }
        }
        #expect(cache.count == tokens.count)
        #expect(worst < 1e-4, "\(family): largest logit difference \(worst) when decoding token by token")
    }
}
