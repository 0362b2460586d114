import Testing
@testable import Bench

@Suite struct OpenBLASCoreTests {
    private static let bf16: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"]

    /// CPU flags → the core `OPENBLAS_CORETYPE` should name first.
    @Test(arguments: [
        (bf16, "Cooperlake"),
        (Set(["avx2", "avx512f", "avx512bw", "avx512vl"]), "SkylakeX"),  // Skylake-SP: no BF16
        (Set(["avx2", "avx512f", "avx512bw", "avx512_bf16"]), "SkylakeX"),  // BF16 without VL is not Cooperlake
        (Set(["avx2", "avx512f"]), "SkylakeX"),
        (Set(["avx512f"]), "SkylakeX"),
        (Set(["sse3", "avx", "avx2", "fma"]), "Haswell"),
        (Set(["sse3", "avx"]), nil),
        (Set<String>(), nil),
    ] as [(Set<String>, String?)])
    func bestCoreForFlags(flags: Set<String>, core: String?) {
        #expect(OpenBLASCore.best(forFlags: flags) == core)
    }

    @Test func candidatesRunBestFirst() {
        #expect(OpenBLASCore.candidates(forFlags: Self.bf16) == ["Cooperlake", "SkylakeX", "Haswell"])
        #expect(OpenBLASCore.candidates(forFlags: ["avx2", "avx512f"]) == ["SkylakeX", "Haswell"])
        #expect(OpenBLASCore.candidates(forFlags: ["avx"]) == [])
    }

    @Test(arguments: [
        ("Prescott", 0), ("prescott", 0), ("Core2", 0), ("Nehalem", 0), ("Barcelona", 0),
        ("Sandybridge", 1), ("Excavator", 1),
        ("Haswell", 2), ("Zen", 2), ("ZEN", 2),
        ("SkylakeX", 3), ("Cooperlake", 3), ("SapphireRapids", 3),
    ])
    func coreGenerations(name: String, tier: Int) {
        #expect(OpenBLASCore.tier(ofCoreName: name) == tier)
    }

    @Test func unknownNamesHaveNoGeneration() {
        #expect(OpenBLASCore.tier(ofCoreName: "Unknown") == nil)
        #expect(OpenBLASCore.tier(ofCoreName: "") == nil)
        #expect(OpenBLASCore.tier(ofCoreName: "Zen5") == nil)
    }

    @Test func everyTableCoreHasAGeneration() {
        for entry in OpenBLASCore.coreTable {
            #expect(OpenBLASCore.tier(ofCoreName: entry.core) != nil, "\(entry.core)")
        }
    }
}

@Suite struct CPUInfoTests {
    @Test func parsesTheFirstProcessor() {
        let text = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            model name\t: AMD EPYC 9B14
            flags\t\t: fpu sse3 avx avx2 avx512f avx512bw avx512vl avx512_bf16

            processor\t: 1
            model name\t: Other
            flags\t\t: fpu

            """
        let info = CPUInfo(cpuinfo: text)
        #expect(info.modelName == "AMD EPYC 9B14")
        #expect(info.flags == ["fpu", "sse3", "avx", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"])
        #expect(OpenBLASCore.best(forFlags: info.flags) == "Cooperlake")
    }

    @Test func missingFieldsComeBackEmpty() {
        #expect(CPUInfo(cpuinfo: "") == CPUInfo(modelName: "", flags: []))
        #expect(CPUInfo(cpuinfo: "garbage without colons\n\n\n") == CPUInfo(modelName: "", flags: []))
    }

    @Test func thisMachineHasFlags() throws {
        #if os(Linux)
        let info = try #require(CPUInfo.current(), "/proc/cpuinfo unreadable")
        #expect(!info.flags.isEmpty)
        #endif
    }
}
