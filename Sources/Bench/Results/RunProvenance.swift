import Foundation
import ModelFormats
import Tasks

/// Where a result came from: the code, the data, the process's memory and the clock.
enum RunProvenance {
    /// The code this binary was built from: `git describe --always --dirty` of its checkout when it
    /// was compiled (Plugins/BuildVersion), or "unknown" when built outside a git checkout. Not the
    /// folder it runs in: a copied or older binary names its own code.
    static let codeVersion = buildCodeVersion

    /// Peak resident memory of this process (VmHWM in /proc/self/status) in MiB, or 0 where the
    /// file is absent (not Linux).
    static func peakMemoryMiB(status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) -> Double {
        guard let status else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            // "VmHWM:	  123456 kB"
            let parts = line.dropFirst("VmHWM:".count).split(separator: " ", omittingEmptySubsequences: true)
                .flatMap { $0.split(separator: "\t") }
            if let kib = parts.first.flatMap({ Double($0) }) { return kib / 1024 }
        }
        return 0
    }

    /// Now, ISO 8601 in UTC to the second.
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

/// The data version of each task: the first 12 hex digits of its test file's SHA-256, from the
/// dataset manifest when it lists the task, else computed from the file itself, else "unknown".
struct DataVersions {
    private var fromManifest: [String: String]
    private let data: DataDirectory

    init(manifest: URL?, data: DataDirectory) {
        self.data = data
        var versions = [String: String]()
        if let manifest, let loaded = try? DatasetManifest.load(from: manifest) {
            for task in loaded.tasks {
                if let test = task.files.first(where: { $0.split == .test }) { versions[task.name] = String(test.sha256.prefix(12)) }
            }
        }
        fromManifest = versions
    }

    func version(of task: String) -> String {
        if let v = fromManifest[task] { return v }
        guard let bytes = try? Data(contentsOf: data.fileURL(task: task, split: .test)) else { return "unknown" }
        return String(SHA256.hexDigest(of: Array(bytes)).prefix(12))
    }
}
