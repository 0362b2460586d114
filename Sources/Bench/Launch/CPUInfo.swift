import Foundation

/// The processor as Linux describes it in `/proc/cpuinfo` (first processor entry).
struct CPUInfo: Equatable {
    /// The `model name` field, e.g. "AMD EPYC 9B14".
    var modelName: String
    /// The `flags` field, e.g. ["avx2", "avx512f", …].
    var flags: Set<String>

    /// Parses the text of `/proc/cpuinfo`; fields it lacks come back empty.
    init(cpuinfo: String) {
        var modelName = ""
        var flags: Set<String> = []
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty, !flags.isEmpty { break }  // end of processor 0
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if key == "model name", modelName.isEmpty {
                modelName = value
            } else if key == "flags", flags.isEmpty {
                flags = Set(value.split(separator: " ").map(String.init))
            }
        }
        self.modelName = modelName
        self.flags = flags
    }

    init(modelName: String, flags: Set<String>) {
        self.modelName = modelName
        self.flags = flags
    }

    /// This machine's processor; nil where `/proc/cpuinfo` cannot be read (not Linux).
    static func current() -> CPUInfo? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return CPUInfo(cpuinfo: text)
    }

    /// The flags `bench doctor` shows, in this order: those of `OpenBLASCore.coreTable` and their kin.
    static let relevantFlags = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_bf16"]
}
