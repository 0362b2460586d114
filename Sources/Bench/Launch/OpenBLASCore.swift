/// Which OpenBLAS kernel core suits a CPU, and how OpenBLAS's core names compare.
///
/// Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) detects some AVX-512 AMD EPYC processors as
/// "Prescott" and then runs SGEMM about 15x slower; `OPENBLAS_CORETYPE` overrides the choice,
/// but only when set before the library loads.
enum OpenBLASCore {
    /// Flags required → core name, most capable first.
    static let coreTable: [(required: Set<String>, core: String)] = [
        (["avx512f", "avx512bw", "avx512vl", "avx512_bf16"], "Cooperlake"),
        (["avx512f"], "SkylakeX"),
        (["avx2"], "Haswell"),
    ]

    /// The cores a CPU with `flags` can run, best first; empty without AVX2 (OpenBLAS's own choice
    /// is then as good as any we could name).
    static func candidates(forFlags flags: Set<String>) -> [String] {
        coreTable.filter { $0.required.isSubset(of: flags) }.map(\.core)
    }

    /// The core `OPENBLAS_CORETYPE` should name first for a CPU with `flags`.
    static func best(forFlags flags: Set<String>) -> String? {
        candidates(forFlags: flags).first
    }

    /// The SGEMM kernel generation of an OpenBLAS core name (as `openblas_get_corename` reports
    /// it, any case): 0 before AVX, 1 AVX, 2 AVX2, 3 AVX-512. Cooperlake and SapphireRapids share
    /// SkylakeX's SGEMM kernels (they add BF16/AMX kernels), so all three are generation 3.
    /// nil for a name this table does not know (including "Unknown").
    static func tier(ofCoreName name: String) -> Int? {
        tiers[name.lowercased()]
    }

    private static let tiers: [String: Int] = {
        var table: [String: Int] = [:]
        let groups: [(Int, [String])] = [
            (0, ["katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
                 "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat"]),
            (1, ["sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"]),
            (2, ["haswell", "zen"]),
            (3, ["skylakex", "cooperlake", "sapphirerapids"]),
        ]
        for (tier, names) in groups {
            for name in names { table[name] = tier }
        }
        return table
    }()
}
