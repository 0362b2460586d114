import Foundation
import Testing
@testable import Tasks

@Suite struct TaskFileTests {
    @Test func splitSizesMatchSourceCounts() throws {
        let registry = TaskRegistry.site57
        let expected: [String: [Int]] = ["antonym": [1678, 216, 504], "country_capital": [137, 18, 42]]
        for (name, counts) in expected {
            let task = try registry.task(named: name)
            let splits = try task.loadSplits(from: Fixtures.site57)
            #expect(splits.counts == counts, "\(name)")
            #expect(splits[.valid] == splits.valid)
            #expect(try task.load(.test, from: Fixtures.site57) == splits.test)
        }
    }

    @Test func everyFileHasTheManifestItemCount() throws {
        let manifest = try Fixtures.manifest()
        #expect(manifest.files.count == 171)
        for entry in manifest.tasks {
            let task = try TaskRegistry.site57.task(named: entry.name)
            for file in entry.files {
                #expect(try task.load(file.split, from: Fixtures.site57).count == file.items, "\(file.path)")
            }
        }
    }

    @Test func anEmptyTestSplitIsNamedNotScoredAsZero() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = DataDirectory(root: folder)
        let task = try TaskRegistry.site57.task(named: "antonym")
        for split in TaskSplit.allCases {
            let url = data.fileURL(task: task.name, split: split)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Fixtures.write(split == .test ? "[]" : #"[{"input": "hot", "output": "cold"}]"#, to: url)
        }
        let test = data.fileURL(task: task.name, split: .test)
        #expect(throws: TaskError.malformedFile(path: test.path, reason: "the test split holds no items")) {
            try task.loadSplits(from: data)
        }
    }

    @Test func wordLengthOutputsAreIntegers() throws {
        let items = try TaskRegistry.site57.task(named: "word_length").load(.test, from: Fixtures.site57)
        #expect(items.allSatisfy { if case .integer = $0.output { return true } else { return false } })
        #expect(items.allSatisfy { $0.output == .integer($0.input.count) })
    }

    @Test func malformedFilesNameTheFileAndItem() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, (String) -> TaskError)] = [
            (#"[{"input": "a", "output": "b"}, {"input": "c"}]"#,
             { .malformedItem(path: $0, index: 1, reason: "missing key \"output\"") }),
            (#"[{"input": "a", "output": "b"}, {"input": "c", "output": "d"}, {"input": 3, "output": "d"}]"#,
             { .malformedItem(path: $0, index: 2, reason: "input: Expected to decode String but found number instead.") }),
            (#"[{"input": "a", "output": 2.5}]"#,
             { .malformedItem(path: $0, index: 0, reason: "output: \"output\" must be a string or an integer") }),
            (#"[{"input": "a", "output": true}]"#,
             { .malformedItem(path: $0, index: 0, reason: "output: \"output\" must be a string or an integer") }),
        ]
        for (number, (text, expected)) in cases.enumerated() {
            let url = folder.appendingPathComponent("case\(number).json")
            try Fixtures.write(text, to: url)
            do {
                _ = try TaskFileReader.read(url)
                Issue.record("case \(number) decoded")
            } catch let error as TaskError {
                // The decoder's wording of a type mismatch may vary; the file and index may not.
                guard case .malformedItem(let path, let index, let reason) = error,
                      case .malformedItem(_, let expectedIndex, let expectedReason) = expected(url.path)
                else {
                    Issue.record("case \(number): \(error)")
                    continue
                }
                #expect(path == url.path)
                #expect(index == expectedIndex, "case \(number): \(error)")
                #expect(reason.hasPrefix(String(expectedReason.prefix(6))), "case \(number): \(reason)")
            }
        }
    }

    @Test func nonArraysAndMissingFilesAreFileErrors() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (number, text) in [#"{"input": "a", "output": "b"}"#, "[{\"input\": \"a\", ", ""].enumerated() {
            let url = folder.appendingPathComponent("bad\(number).json")
            try Fixtures.write(text, to: url)
            #expect {
                try TaskFileReader.read(url)
            } throws: { error in
                guard case .malformedFile(let path, _) = error as? TaskError else { return false }
                return path == url.path
            }
        }
        let missing = folder.appendingPathComponent("absent.json")
        #expect(throws: TaskError.missingFile(path: missing.path)) { try TaskFileReader.read(missing) }
        #expect(throws: TaskError.unreadableFile(path: folder.path, reason: "it is a directory")) {
            try TaskFileReader.read(folder)
        }
        let big = folder.appendingPathComponent("big.json")
        try Fixtures.write("[]" + String(repeating: " ", count: 100), to: big)
        #expect(throws: TaskError.fileTooLarge(path: big.path, bytes: 102, limit: 10)) {
            try TaskFileReader.readBytes(big, limit: 10)
        }
    }
}

@Suite struct TaskItemCodingTests {
    @Test func itemsAndPromptsRoundTripThroughJSON() throws {
        let items = [TaskItem(input: "oven", output: .integer(4)), TaskItem(input: "Portugal", output: .text("Lisbon"))]
        let data = try JSONEncoder().encode(items)
        #expect(String(decoding: data, as: UTF8.self).contains(#""output":4"#))
        #expect(try TaskFileReader.decode(data, path: "memory") == items)
        let prompt = TextPrompt(demonstrations: [items[0]], query: items[1])
        #expect(try JSONDecoder().decode(TextPrompt.self, from: JSONEncoder().encode(prompt)) == prompt)
    }
}
