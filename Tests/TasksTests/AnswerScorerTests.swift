import Testing
@testable import Tasks

@Suite struct AnswerScorerTests {
    private struct Row {
        var prediction: String
        var target: String
        var preservesCase = false
        var correct: Bool
    }

    private static let rows: [Row] = [
        Row(prediction: " Lisbon\n\nQ: Spain", target: " Lisbon", correct: true),
        Row(prediction: "\nLisbon", target: " Lisbon", correct: true),                 // leading newline dropped
        Row(prediction: "\n\n Lisbon is the capital", target: " Lisbon", correct: true),
        Row(prediction: " Lis", target: " Lisbon", correct: false),                    // too short
        Row(prediction: " lisbon", target: " Lisbon", correct: true),                  // case folded
        Row(prediction: " St. Louis", target: " Saint Louis", correct: true),
        Row(prediction: " Saint George's", target: " St. George's", correct: true),
        Row(prediction: " St. George's", target: " St. George's", correct: true),
        Row(prediction: " Paris (France)", target: " Paris", correct: true),
        Row(prediction: " Paris", target: " Paris (France)", correct: true),            // target cut at "("
        Row(prediction: " (Paris)", target: " Paris", correct: false),                  // cut leaves nothing
        Row(prediction: "\n\nParis\nLondon", target: " London", correct: false),       // cut at first "\n"
        Row(prediction: "10", target: "10", correct: true),                            // integer outputs
        Row(prediction: "10 letters", target: "10", correct: true),
        Row(prediction: "1", target: "10", correct: false),
        Row(prediction: "101", target: "10", correct: true),                           // prefix rule, as the reference
        Row(prediction: "", target: " Lisbon", correct: false),                        // empty prediction
        Row(prediction: "   \n ", target: " Lisbon", correct: false),
        Row(prediction: "anything", target: "", correct: true),                        // empty target: prefix of anything
        Row(prediction: " Feather", target: " Feather", preservesCase: true, correct: true),
        Row(prediction: " feather", target: " Feather", preservesCase: true, correct: false),
        Row(prediction: " FEATHER", target: " Feather", preservesCase: false, correct: true),
        Row(prediction: " a\r\nb", target: " a", correct: true),
    ]

    @Test(arguments: rows.indices)
    func exactMatchTable(_ index: Int) {
        let row = Self.rows[index]
        let scorer = AnswerScorer(preservesCase: row.preservesCase)
        #expect(
            scorer.isExactMatch(prediction: row.prediction, target: row.target) == row.correct,
            "\(String(reflecting: row.prediction)) vs \(String(reflecting: row.target))")
    }

    @Test func normalisedForms() {
        let scorer = AnswerScorer(preservesCase: false)
        #expect(scorer.normalizedPrediction("\n St. Louis (Missouri)\nQ:") == "saint louis")
        #expect(scorer.normalizedTarget(" St. George's") == "saint george's")
        #expect(AnswerScorer(preservesCase: true).normalizedTarget(" Feather") == "Feather")
    }

    @Test func taskDefinitionCarriesTheCaseRule() throws {
        let capitalize = try TaskRegistry.site57.task(named: "capitalize")
        #expect(!capitalize.answerScorer.isExactMatch(prediction: " feather", target: " Feather"))
        let antonym = try TaskRegistry.site57.task(named: "antonym")
        #expect(antonym.answerScorer.isExactMatch(prediction: " Cold", target: " cold"))
    }

    @Test func firstTokenMatchIsArgmax() {
        #expect(AnswerScorer.isFirstTokenMatch(logits: [0.1, 3, -1, 2.9], targetToken: 1))
        #expect(!AnswerScorer.isFirstTokenMatch(logits: [0.1, 3, -1, 2.9], targetToken: 3))
        #expect(AnswerScorer.isFirstTokenMatch(logits: [2, 2, 1], targetToken: 0))  // ties: lowest id
        #expect(!AnswerScorer.isFirstTokenMatch(logits: [2, 2, 1], targetToken: 1))
    }

    @Test func aScoreIsDecidedByACutOrByTheTextSoFar() {
        let scorer = AnswerScorer(preservesCase: false)
        for text in ["", "\n", "\n \n  ", " Lisbon", " Lis", " St"] {
            #expect(scorer.decidedScore(generatedText: text, target: " Lisbon") == nil, "\(text.debugDescription)")
        }
        #expect(scorer.decidedScore(generatedText: " Lisbon\n", target: " Lisbon") == true)
        #expect(scorer.decidedScore(generatedText: "\n\nLisbon\nQ", target: " Lisbon") == true)
        #expect(scorer.decidedScore(generatedText: "a\r\n", target: " Lisbon") == false)
        #expect(scorer.decidedScore(generatedText: " Lisbon is", target: " Lisbon") == true)
        #expect(scorer.decidedScore(generatedText: " The capital", target: " Lisbon") == false)
        #expect(scorer.decidedScore(generatedText: " Porto (", target: " Porto") == true)
        // "St" may still become "Saint", an open UTF-8 sequence a letter.
        #expect(scorer.decidedScore(generatedText: " St", target: " Saint Paul") == nil)
        #expect(scorer.decidedScore(generatedText: " St. P", target: " Saint Paul") == nil)
        #expect(scorer.decidedScore(generatedText: " St. Pet", target: " Saint Paul") == false)
        #expect(scorer.decidedScore(generatedText: " Saint", target: " Lisbon") == false)
        #expect(scorer.decidedScore(generatedText: " Li\u{FFFD}", target: " Lisbon") == nil)
    }

    /// Every decided score is the score of every continuation. The texts are decoded from random
    /// byte strings, cut at every byte as tokens may be, of pieces that open each end the rule
    /// must keep open: split UTF-8 sequences, "S" + "t" + ".", combining marks, cuts, spaces.
    @Test(arguments: [false, true])
    func aDecidedScoreIsTheScoreOfEveryContinuation(preservesCase: Bool) {
        let scorer = AnswerScorer(preservesCase: preservesCase)
        let pieces: [[UInt8]] = ["Paris", "paris", " ", "S", "t", ".", "St.", "(", "\n", "\r", "\t", "Saint", "Paul", "a", "P",
                                 "\u{301}", "\u{E9}", "\u{3A3}", "\u{20AC}", "Louis", " is"].map { Array($0.utf8) }
            + [[0xE2], [0x82, 0xAC], [0xCC], [0x81]]
        let targets = [" Paris", "Paris", " Saint Paul", " St. Louis", " paris (France)", "", " \u{3A3}a", " Pe\u{301}", "P"]
        var random = Xoshiro256StarStar(seed: 7)
        var decided = (correct: 0, wrong: 0)
        for _ in 0..<4000 {
            let bytes = (0..<(1 + random.nextIndex(below: 7))).flatMap { _ in pieces[random.nextIndex(below: pieces.count)] }
            let target = targets[random.nextIndex(below: targets.count)]
            let whole = scorer.isExactMatch(prediction: String(decoding: bytes, as: UTF8.self), target: target)
            for cut in 0...bytes.count {
                let text = String(decoding: bytes[..<cut], as: UTF8.self)
                guard let score = scorer.decidedScore(generatedText: text, target: target) else { continue }
                #expect(score == whole, "\(text.debugDescription) → \(String(decoding: bytes, as: UTF8.self).debugDescription), target \(target.debugDescription)")
                if score { decided.correct += 1 } else { decided.wrong += 1 }
            }
        }
        // The rule decides often, both ways, so the checks above are many.
        #expect(decided.correct > 1000 && decided.wrong > 1000, "\(decided)")
    }
}
