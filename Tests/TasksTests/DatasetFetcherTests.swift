import Foundation
import Testing
@testable import Tasks

@Suite struct DatasetFetcherTests {
    /// The manifest cut down to a few small tasks, to keep the error-path tests fast.
    private func smallManifest(_ names: [String] = ["country-capital", "next_item"]) throws -> DatasetManifest {
        var manifest = try Fixtures.manifest()
        manifest.tasks = manifest.tasks.filter { names.contains($0.name) }
        return manifest
    }

    @Test func fetchFromTheSharedCopyVerifiesEveryFile() throws {
        let destination = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: destination) }
        // The 30 smallest tasks (1.3 of 14 MB, 90 files): a debug-build SHA-256 runs at about
        // 1.5 MB/s. Every file's digest is checked against SOURCE.md by a test below, and
        // `bench datasets fetch` was run on all 171 files.
        var manifest = try Fixtures.manifest()
        func size(_ task: DatasetManifest.TaskEntry) -> Int { task.files.map(\.bytes).reduce(0, +) }
        let smallest = Set(manifest.tasks.sorted { size($0) < size($1) }.prefix(30).map(\.name))
        manifest.tasks.removeAll { !smallest.contains($0.name) }
        #expect(manifest.files.count == 90)
        let fetcher = DatasetFetcher(manifest: manifest, destination: DataDirectory(root: destination))
        let summary = try fetcher.fetch(from: .directory(Fixtures.site57.taskFolder))
        #expect(summary.written.count == 90)
        #expect(summary.alreadyPresent.isEmpty)
        // Files are readable as tasks from the new data directory; no temporary files remain.
        let items = try TaskRegistry.site57.task(named: "country_capital").load(.test, from: DataDirectory(root: destination))
        #expect(items.count == 42)
        let leftovers = FileManager.default.enumerator(atPath: destination.path)!.compactMap { $0 as? String }
            .filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty)
        // A second run finds everything in place and writes nothing.
        let again = try fetcher.fetch(from: .directory(Fixtures.site57.taskFolder))
        #expect(again.written.isEmpty)
        #expect(again.alreadyPresent.count == 90)
    }

    /// A copy of the small manifest's source files in a scratch folder, to damage.
    private func sourceCopy(_ manifest: DatasetManifest) throws -> URL {
        let source = try Fixtures.temporaryDirectory()
        for file in manifest.files {
            let data = try Data(contentsOf: Fixtures.site57.taskFolder.appendingPathComponent(file.path))
            let url = source.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        return source
    }

    @Test func refusesTamperedTruncatedAndMissingFilesByName() throws {
        let manifest = try smallManifest()
        let entry = manifest.files.first { $0.path == "next_item/valid.json" }!
        for damage in ["tamper", "truncate", "remove", "extend"] {
            let source = try sourceCopy(manifest)
            let destination = try Fixtures.temporaryDirectory()
            defer {
                try? FileManager.default.removeItem(at: source)
                try? FileManager.default.removeItem(at: destination)
            }
            let damaged = source.appendingPathComponent(entry.path)
            var bytes = try Data(contentsOf: damaged)
            switch damage {
            case "tamper": bytes[bytes.count / 2] ^= 0x20
            case "truncate": bytes = bytes.prefix(bytes.count - 7)
            case "extend": bytes.append(contentsOf: Array(" ".utf8))
            default: break
            }
            if damage == "remove" {
                try FileManager.default.removeItem(at: damaged)
            } else {
                try bytes.write(to: damaged)
            }
            let fetcher = DatasetFetcher(manifest: manifest, destination: DataDirectory(root: destination))
            do {
                _ = try fetcher.fetch(from: .directory(source))
                Issue.record("\(damage): fetch accepted a damaged file")
            } catch let error as TaskError {
                switch (damage, error) {
                case ("tamper", .checksumMismatch(let path, let expected, _)):
                    #expect(path == damaged.path)
                    #expect(expected == entry.sha256)
                case ("truncate", .sizeMismatch(let path, let expected, let found)),
                     ("extend", .sizeMismatch(let path, let expected, let found)):
                    #expect(path == damaged.path)
                    #expect(expected == entry.bytes)
                    #expect(found == entry.bytes + (damage == "extend" ? 1 : -7))
                case ("remove", .missingFile(let path)):
                    #expect(path == damaged.path)
                default:
                    Issue.record("\(damage): unexpected error \(error)")
                }
                #expect(error.description.contains(entry.path), "\(error)")
            }
            // The damaged file never reaches the data directory.
            #expect(!FileManager.default.fileExists(atPath: DataDirectory(root: destination).taskFolder.appendingPathComponent(entry.path).path))
        }
    }

    @Test func replacesABadLocalCopyAndVerifyNamesIt() throws {
        let manifest = try smallManifest(["country-capital"])
        let destination = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: destination) }
        let directory = DataDirectory(root: destination)
        let fetcher = DatasetFetcher(manifest: manifest, destination: directory)
        _ = try fetcher.fetch(from: .directory(Fixtures.site57.taskFolder))
        let local = directory.fileURL(task: "country-capital", split: .test)
        var bytes = try Data(contentsOf: local)
        bytes[10] ^= 1
        try bytes.write(to: local)
        #expect { try fetcher.verifyAll() } throws: { error in
            guard case .checksumMismatch(let path, _, _) = error as? TaskError else { return false }
            return path == local.path
        }
        let summary = try fetcher.fetch(from: .directory(Fixtures.site57.taskFolder))
        #expect(summary.written == ["country-capital/test.json"])
        try fetcher.verifyAll()
    }

    @Test func downloadsFromABaseURLThroughTheInjectedClient() throws {
        let manifest = try smallManifest(["country-capital"])
        let destination = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: destination) }
        let base = URL(string: "https://example.invalid/dataset")!
        var requested: [String] = []
        var limits: [Int] = []
        let fetcher = DatasetFetcher(manifest: manifest, destination: DataDirectory(root: destination)) { url, limit in
            requested.append(url.absoluteString)
            limits.append(limit)
            let relative = String(url.absoluteString.dropFirst(base.absoluteString.count + 1))
            return try Data(contentsOf: Fixtures.site57.taskFolder.appendingPathComponent(relative))
        }
        let summary = try fetcher.fetch(from: .baseURL(base))
        #expect(summary.written.count == 3)
        #expect(requested == ["train", "valid", "test"].map { "https://example.invalid/dataset/country-capital/\($0).json" })
        #expect(limits == manifest.files.map { 2 * $0.bytes })

        let failing = DatasetFetcher(manifest: manifest, destination: DataDirectory(root: try Fixtures.temporaryDirectory())) { url, _ in
            throw TaskError.downloadFailed(url: url.absoluteString, reason: "HTTP 404")
        }
        #expect(throws: TaskError.downloadFailed(url: "https://example.invalid/dataset/country-capital/train.json", reason: "HTTP 404")) {
            try failing.fetch(from: .baseURL(base))
        }
    }

    @Test func boundedDownloadReadsFileURLsUnderTheLimit() throws {
        let url = Fixtures.site57.fileURL(task: "country-capital", split: .valid)
        let data = try BoundedDownload.fetch(url, byteLimit: 1 << 20)
        #expect(data == (try Data(contentsOf: url)))
        #expect(throws: TaskError.fileTooLarge(path: url.path, bytes: data.count, limit: 100)) {
            try BoundedDownload.fetch(url, byteLimit: 100)
        }
    }

    @Test func manifestValidationRejectsEscapingPathsAndBadDigests() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var manifest = try smallManifest(["country-capital"])
        let encoder = JSONEncoder()
        func write(_ manifest: DatasetManifest) throws -> URL {
            let url = folder.appendingPathComponent("manifest-\(UUID().uuidString).json")
            try encoder.encode(manifest).write(to: url)
            return url
        }
        let good = try write(manifest)
        #expect(try DatasetManifest.load(from: good) == manifest)

        manifest.tasks[0].files[0].path = "../../etc/passwd"
        let escaping = try write(manifest)
        #expect { try DatasetManifest.load(from: escaping) } throws: { error in
            guard case .invalidManifest(let path, let reason) = error as? TaskError else { return false }
            return path == escaping.path && reason.contains("../../etc/passwd")
        }
        manifest = try smallManifest(["country-capital"])
        manifest.tasks[0].files[1].sha256 = "XYZ"
        let badDigest = try write(manifest)
        #expect(throws: TaskError.invalidManifest(path: badDigest.path, reason: "country-capital/valid.json: sha256 is not 64 hex digits")) {
            try DatasetManifest.load(from: badDigest)
        }
        manifest = try smallManifest(["country-capital"])
        manifest.tasks.append(manifest.tasks[0])
        let duplicate = try write(manifest)
        #expect(throws: TaskError.invalidManifest(path: duplicate.path, reason: "task country-capital listed twice")) {
            try DatasetManifest.load(from: duplicate)
        }
        let absent = folder.appendingPathComponent("absent.json")
        #expect(throws: TaskError.invalidManifest(path: absent.path, reason: "no such file (run from the repository root, or pass --manifest)")) {
            try DatasetManifest.load(from: absent)
        }
        let notJSON = folder.appendingPathComponent("broken.json")
        try Fixtures.write("{", to: notJSON)
        #expect { try DatasetManifest.load(from: notJSON) } throws: { error in
            guard case .invalidManifest(let path, _) = error as? TaskError else { return false }
            return path == notJSON.path
        }
    }

    @Test func manifestMatchesSourceMarkdownDigests() throws {
        let source = try String(contentsOf: Fixtures.site57.taskFolder.appendingPathComponent("SOURCE.md"), encoding: .utf8)
        for file in try Fixtures.manifest().files {
            #expect(source.contains("\(file.sha256)  \(file.path)"), "\(file.path)")
            #expect(file.url == "https://raw.githubusercontent.com/SNU-DRL/Soft_Injection/main/dataset/\(file.path)")
        }
    }
}
