import Foundation
import Testing
@testable import Tasks

@Suite struct DataDirectoryTests {
    @Test func flagThenEnvironmentThenDefault() {
        let cwd = URL(fileURLWithPath: "/tmp/project", isDirectory: true)
        #expect(DataDirectory.resolve(flag: "/data", environment: ["BENCH_DATA": "/env"], currentDirectory: cwd).root.path == "/data")
        #expect(DataDirectory.resolve(flag: "rel", environment: [:], currentDirectory: cwd).root.path == "/tmp/project/rel")
        #expect(DataDirectory.resolve(flag: nil, environment: ["BENCH_DATA": "/env"], currentDirectory: cwd).root.path == "/env")
        #expect(DataDirectory.destination(flag: nil, environment: [:], currentDirectory: cwd).root.path == "/tmp/project/datasets")
        #expect(
            DataDirectory(root: URL(fileURLWithPath: "/d")).fileURL(task: "antonym", split: .valid).path
                == "/d/site57/antonym/valid.json")
    }

    @Test func fallsBackToSharedOnlyWhenNothingWasChosenAndNothingIsFetched() throws {
        let top = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: top) }
        let checkout = top.appendingPathComponent("checkout", isDirectory: true)
        try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
        // No ../shared yet: the default stands.
        #expect(DataDirectory.resolve(flag: nil, environment: [:], currentDirectory: checkout).root.path == checkout.path + "/datasets")
        let sharedSite57 = top.appendingPathComponent("shared/datasets/site57", isDirectory: true)
        try FileManager.default.createDirectory(at: sharedSite57, withIntermediateDirectories: true)
        #expect(DataDirectory.resolve(flag: nil, environment: [:], currentDirectory: checkout).root.path == top.path + "/shared/datasets")
        // An explicit choice is kept even when it holds nothing.
        #expect(DataDirectory.resolve(flag: "mine", environment: [:], currentDirectory: checkout).root.path == checkout.path + "/mine")
        // Fetched files in ./datasets win over the shared copy.
        try FileManager.default.createDirectory(at: checkout.appendingPathComponent("datasets/site57"), withIntermediateDirectories: true)
        #expect(DataDirectory.resolve(flag: nil, environment: [:], currentDirectory: checkout).root.path == checkout.path + "/datasets")
    }
}
