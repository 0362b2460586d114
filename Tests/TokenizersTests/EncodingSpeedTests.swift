import Foundation
import Testing
import TestSupport
@testable import Tokenizers

/// How long encoding the 463 tokenization.json strings takes (printed; the ids are checked on
/// every repetition, and a generous bound catches an accidental quadratic path).
@Suite struct EncodingSpeedTests {
    @Test(arguments: [0, 1])
    func encodesTheReferenceStringsQuickly(model: Int) throws {
        let (folder, url) = ModelTokenizationTests.models[model]
        _ = try Fixtures.modelTokenizer(url)  // fails with a clear message when the model is missing
        let loadStart = ContinuousClock.now
        let tokenizer = try Tokenizer(contentsOfGGUF: url)
        let loadTime = ContinuousClock.now - loadStart
        let cases = try Fixtures.tokenizationCases(folder)
        let repetitions = 5
        var mismatches = 0
        let start = ContinuousClock.now
        for _ in 0..<repetitions {
            for item in cases where tokenizer.encode(item.text) != item.ids_with_special { mismatches += 1 }
        }
        let perPass = (ContinuousClock.now - start) / repetitions
        print("[timing] \(folder): load \(loadTime), encode \(cases.count) strings \(perPass) per pass")
        #expect(mismatches == 0)
        #expect(perPass < .seconds(5))
    }
}
