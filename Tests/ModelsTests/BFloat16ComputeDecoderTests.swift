import Foundation
import Testing
import Models
import Tensors
import TestSupport

/// `Decoder.computing(in: .bfloat16)` on every tiny checkpoint: the logits stay near float32's
/// (bfloat16 operands, float32 sums), on either kernel (`BFloat16Kernel`).
@Suite struct BFloat16ComputeDecoderTests {
    @Test(arguments: TinyCheckpointTests.families)
    func logitsStayNearFloat32(family: String) throws {
        let (decoder, golden) = try TinyCheckpointTests().load(family)
        let bf16 = try decoder.computing(in: .bfloat16)
        let tokens = golden.sequences.map(\.token_ids)
        let reference = try #require(decoder.forward(tokens, caches: tokens.map { _ in decoder.makeCache() }, logits: .all).logits).value
        let ours = try #require(bf16.forward(tokens, caches: tokens.map { _ in bf16.makeCache() }, logits: .all).logits).value
        #expect(ours.shape == reference.shape)
        var worst: Float = 0, spread: Float = 0
        for (a, b) in zip(ours.scalars, reference.scalars) {
            worst = max(worst, abs(a - b))
            spread = max(spread, abs(b))
        }
        // bfloat16 keeps 8 significant bits: differences of a few percent of the largest logit,
        // but not zero (the products really ran in bfloat16).
        #expect(worst > 0 && worst < 0.05 * spread, "\(family): largest difference \(worst), largest logit \(spread)")
        // float32 stays the reference: computing(in: .float32) changes nothing.
        let same = try decoder.computing(in: .float32)
        let again = try #require(same.forward(tokens, caches: tokens.map { _ in same.makeCache() }, logits: .all).logits).value
        #expect(again.scalars == reference.scalars)
    }
}
