import Foundation
import Testing
@testable import Tasks

/// One case of reference/prompts.json.
private struct ReferenceCase: Decodable {
    var task: String
    var shots: Int
    var demos: [TaskItem]
    var query: TaskItem
    var prompt: String
    var target: String
}

private struct ReferenceFile: Decodable { var cases: [ReferenceCase] }

@Suite struct PromptTests {
    private func referenceCases() throws -> [ReferenceCase] {
        let data = try TaskFileReader.readBytes(Fixtures.promptsJSON)
        return try JSONDecoder().decode(ReferenceFile.self, from: data).cases
    }

    @Test func all114ReferencePromptsAndTargetsMatch() throws {
        let cases = try referenceCases()
        #expect(cases.count == 114)
        for (number, reference) in cases.enumerated() {
            let task = try TaskRegistry.site57.task(named: reference.task)
            #expect(reference.demos.count == reference.shots)
            let prompt = TextPrompt(format: task.promptFormat, demonstrations: reference.demos, query: reference.query)
            #expect(prompt.text == reference.prompt, "case \(number) (\(reference.task), \(reference.shots)-shot)")
            #expect(prompt.target == reference.target, "case \(number) (\(reference.task))")
        }
        // Every task appears, 0-shot and k-shot.
        #expect(Set(cases.map(\.task)) == Set(TaskRegistry.site57.tasks.map(\.name)))
    }

    @Test func digitsRule() {
        let format = PromptFormat.site
        #expect(format.demonstration(TaskItem(input: "oven", output: .integer(4))) == "Q: oven\nA:4\n\n")
        #expect(format.demonstration(TaskItem(input: "17", output: .text("18"))) == "Q: 17\nA:18\n\n")
        #expect(format.demonstration(TaskItem(input: "x", output: .text("-5"))) == "Q: x\nA: -5\n\n")
        #expect(format.demonstration(TaskItem(input: "x", output: .text("3.5"))) == "Q: x\nA: 3.5\n\n")
        #expect(format.query("8") == "Q:8\nA:")
        #expect(format.query("Portugal") == "Q: Portugal\nA:")
        #expect(format.target(.text("Lisbon")) == " Lisbon")
        #expect(format.target(.integer(10)) == "10")
        #expect(format.target(.text("")) == " ")  // Python: "".isdigit() is False
        #expect(format.target(.text("٣")) == "٣")  // Arabic-Indic digit: isdigit() is True
    }

    @Test func sampledPromptsAreReproducibleAndNeverReuseTheQuery() throws {
        let task = try TaskRegistry.site57.task(named: "country-capital")
        let train = try task.load(.train, from: Fixtures.site57)
        let test = try task.load(.test, from: Fixtures.site57)
        let sampler = PromptSampler(task: task, train: train)

        let first = try sampler.prompts(for: test, split: .test, shots: 10, seed: 2024)
        let again = try sampler.prompts(for: test, split: .test, shots: 10, seed: 2024)
        #expect(first == again)
        #expect(first.count == 42)
        let other = try sampler.prompts(for: test, split: .test, shots: 10, seed: 2025)
        #expect(first != other)
        for prompt in first {
            #expect(prompt.demonstrationIndices.count == 10)
            #expect(Set(prompt.demonstrationIndices).count == 10)
            #expect(prompt.text.hasSuffix(PromptFormat.site.query(prompt.query.input)))
            #expect(prompt.demonstrations == prompt.demonstrationIndices.map { train[$0] })
        }
        // A single prompt equals its place in the list, whatever was built before.
        #expect(try sampler.prompt(forItem: 17, of: test, split: .test, shots: 10, seed: 2024) == first[17])
        // Fewer shots take a prefix of the same draw.
        let five = try sampler.prompt(forItem: 17, of: test, split: .test, shots: 5, seed: 2024)
        #expect(five.demonstrationIndices == Array(first[17].demonstrationIndices.prefix(5)))

        // From the train split, a query is never its own demonstration, even with every item used.
        for index in train.indices {
            let prompt = try sampler.prompt(forItem: index, of: train, split: .train, shots: train.count - 1, seed: 9)
            #expect(!prompt.demonstrationIndices.contains(index))
        }
        #expect(throws: TaskError.notEnoughItems(task: "country-capital", split: "train", requested: 137, available: 136)) {
            try sampler.prompt(forItem: 0, of: train, split: .train, shots: 137, seed: 9)
        }
        #expect(throws: TaskError.itemOutOfRange(task: "country-capital", split: "test", index: 42, count: 42)) {
            try sampler.prompt(forItem: 42, of: test, split: .test, shots: 0, seed: 9)
        }
    }

    @Test func sampledPromptsArePinned() throws {
        // Pins the exact draw so a change to the generator or the seeding shows up here.
        let task = try TaskRegistry.site57.task(named: "antonym")
        let sampler = PromptSampler(task: task, train: try task.load(.train, from: Fixtures.site57))
        let test = try task.load(.test, from: Fixtures.site57)
        let prompt = try sampler.prompt(forItem: 0, of: test, split: .test, shots: 3, seed: 1)
        #expect(prompt.demonstrationIndices == PinnedDraws.antonymTest0Seed1Shots3)
    }

    @Test func zeroShotPromptIsTheQueryAlone() throws {
        let task = try TaskRegistry.site57.task(named: "country-capital")
        let test = try task.load(.test, from: Fixtures.site57)
        let sampler = PromptSampler(task: task, train: try task.load(.train, from: Fixtures.site57))
        let prompt = try sampler.prompt(forItem: 3, of: test, split: .test, shots: 0, seed: 5)
        #expect(prompt.text == "Q: \(test[3].input)\nA:")
        #expect(prompt.demonstrations.isEmpty)
    }

    @Test func explicitDemonstrationsAreCheckedAndUsedInOrder() throws {
        let task = try TaskRegistry.site57.task(named: "antonym")
        let train = try task.load(.train, from: Fixtures.site57)
        let test = try task.load(.test, from: Fixtures.site57)
        let sampler = PromptSampler(task: task, train: train)
        let prompt = try sampler.prompt(forItem: 2, of: test, split: .test, demonstrationIndices: [5, 1])
        #expect(prompt.text == PromptFormat.site.prompt(demonstrations: [train[5], train[1]], query: test[2]))
        #expect(throws: TaskError.itemOutOfRange(task: "antonym", split: "train", index: 1678, count: 1678)) {
            try sampler.prompt(forItem: 2, of: test, split: .test, demonstrationIndices: [1678])
        }
    }
}

@Suite struct ShuffledLabelTests {
    @Test func shuffledLabelsPermuteOutputsOfTheSameDemonstrations() throws {
        let task = try TaskRegistry.site57.task(named: "antonym")
        let train = try task.load(.train, from: Fixtures.site57)
        let test = try task.load(.test, from: Fixtures.site57)
        let sampler = PromptSampler(task: task, train: train)
        var anyMoved = false
        for index in 0..<20 {
            let clean = try sampler.prompt(forItem: index, of: test, split: .test, shots: 10, seed: 3)
            let shuffled = try sampler.prompt(forItem: index, of: test, split: .test, shots: 10, seed: 3, shuffledLabels: true)
            #expect(shuffled.demonstrationIndices == clean.demonstrationIndices)
            #expect(shuffled.demonstrations.map(\.input) == clean.demonstrations.map(\.input))
            #expect(shuffled.demonstrations.map(\.output.text).sorted() == clean.demonstrations.map(\.output.text).sorted())
            #expect(shuffled.target == clean.target)
            #expect(shuffled.text.hasSuffix(PromptFormat.site.query(test[index].input)))
            if shuffled.demonstrations != clean.demonstrations { anyMoved = true }
            #expect(try sampler.prompt(forItem: index, of: test, split: .test, shots: 10, seed: 3, shuffledLabels: true) == shuffled)
        }
        #expect(anyMoved)
    }
}
