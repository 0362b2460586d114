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

    @Test func stopsEarlyOnlyAfterNewlineFollowingText() {
        #expect(!AnswerScorer.canStopEarly(generatedText: ""))
        #expect(!AnswerScorer.canStopEarly(generatedText: "\n"))
        #expect(!AnswerScorer.canStopEarly(generatedText: "\n \n  "))
        #expect(!AnswerScorer.canStopEarly(generatedText: " Lisbon"))
        #expect(AnswerScorer.canStopEarly(generatedText: " Lisbon\n"))
        #expect(AnswerScorer.canStopEarly(generatedText: "\n\nLisbon\nQ"))
        #expect(AnswerScorer.canStopEarly(generatedText: "a\r\n"))
    }
}
