import Testing
@testable import Bench

private let bf16Flags: Set<String> = ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"]
private let avx512Flags: Set<String> = ["avx", "avx2", "avx512f"]
private let avx2Flags: Set<String> = ["avx", "avx2", "fma"]
private let oldFlags: Set<String> = ["sse3", "ssse3"]

private typealias Decision = OpenBLASLaunchDecision

@Suite struct OpenBLASLaunchDecisionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var environment: [String: String]
        var loaded: String
        var flags: Set<String>
        var expected: OpenBLASLaunchDecision
        var testDescription: String { label }
    }

    @Test(arguments: [
        Case(label: "misdetected AVX-512 BF16 CPU relaunches with Cooperlake",
             environment: [:], loaded: "Prescott", flags: bf16Flags, expected: .relaunch(coreType: "Cooperlake")),
        Case(label: "misdetected AVX-512 CPU relaunches with SkylakeX",
             environment: [:], loaded: "Prescott", flags: avx512Flags, expected: .relaunch(coreType: "SkylakeX")),
        Case(label: "misdetected AVX2 CPU relaunches with Haswell",
             environment: [:], loaded: "Core2", flags: avx2Flags, expected: .relaunch(coreType: "Haswell")),
        Case(label: "Haswell on an AVX-512 CPU is an older generation",
             environment: [:], loaded: "Haswell", flags: avx512Flags, expected: .relaunch(coreType: "SkylakeX")),
        Case(label: "an unknown loaded name counts as older",
             environment: [:], loaded: "Unknown", flags: avx2Flags, expected: .relaunch(coreType: "Haswell")),
        Case(label: "an empty OPENBLAS_CORETYPE counts as unset",
             environment: ["OPENBLAS_CORETYPE": ""], loaded: "Prescott", flags: avx2Flags,
             expected: .relaunch(coreType: "Haswell")),
        Case(label: "the right core needs no relaunch",
             environment: [:], loaded: "Cooperlake", flags: bf16Flags, expected: .keep(.loadedCoreSuffices)),
        Case(label: "SkylakeX has Cooperlake's SGEMM kernels",
             environment: [:], loaded: "SkylakeX", flags: bf16Flags, expected: .keep(.loadedCoreSuffices)),
        Case(label: "Zen is an AVX2 core",
             environment: [:], loaded: "Zen", flags: avx2Flags, expected: .keep(.loadedCoreSuffices)),
        Case(label: "a CPU without AVX2 keeps OpenBLAS's choice",
             environment: [:], loaded: "Prescott", flags: oldFlags, expected: .keep(.noCoreForFlags)),
        Case(label: "no flags at all (no /proc/cpuinfo) keeps OpenBLAS's choice",
             environment: [:], loaded: "Prescott", flags: [], expected: .keep(.noCoreForFlags)),
        Case(label: "the user's OPENBLAS_CORETYPE wins, even when slower",
             environment: ["OPENBLAS_CORETYPE": "Prescott"], loaded: "Prescott", flags: bf16Flags,
             expected: .keep(.userCoreType("Prescott"))),
        Case(label: "BENCH_OPENBLAS_RELAUNCH=0 switches relaunching off",
             environment: ["BENCH_OPENBLAS_RELAUNCH": "0"], loaded: "Prescott", flags: bf16Flags,
             expected: .keep(.disabled)),
        Case(label: "a relaunch that got the wanted generation stops",
             environment: ["BENCH_OPENBLAS_RELAUNCHED": "Prescott", "BENCH_OPENBLAS_TRIED": "Cooperlake",
                           "OPENBLAS_CORETYPE": "Cooperlake"],
             loaded: "Cooperlake", flags: bf16Flags,
             expected: .keep(.relaunched(originalCore: "Prescott", tried: ["Cooperlake"]))),
        Case(label: "a name the library refused moves on to the next candidate",
             environment: ["BENCH_OPENBLAS_RELAUNCHED": "Prescott", "BENCH_OPENBLAS_TRIED": "Cooperlake",
                           "OPENBLAS_CORETYPE": "Cooperlake"],
             loaded: "Prescott", flags: bf16Flags, expected: .relaunch(coreType: "SkylakeX")),
        Case(label: "a refused name is never asked for twice",
             environment: ["BENCH_OPENBLAS_RELAUNCHED": "Prescott", "BENCH_OPENBLAS_TRIED": "Cooperlake,SkylakeX",
                           "OPENBLAS_CORETYPE": "SkylakeX"],
             loaded: "Prescott", flags: bf16Flags, expected: .relaunch(coreType: "Haswell")),
        Case(label: "every candidate refused: run on",
             environment: ["BENCH_OPENBLAS_RELAUNCHED": "Prescott", "BENCH_OPENBLAS_TRIED": "Cooperlake,SkylakeX,Haswell",
                           "OPENBLAS_CORETYPE": "Haswell"],
             loaded: "Prescott", flags: bf16Flags,
             expected: .keep(.candidatesExhausted(originalCore: "Prescott", tried: ["Cooperlake", "SkylakeX", "Haswell"]))),
        Case(label: "a relaunch that reached AVX2 but not AVX-512 goes no lower",
             environment: ["BENCH_OPENBLAS_RELAUNCHED": "Prescott", "BENCH_OPENBLAS_TRIED": "Cooperlake,SkylakeX",
                           "OPENBLAS_CORETYPE": "SkylakeX"],
             loaded: "Haswell", flags: bf16Flags,
             expected: .keep(.candidatesExhausted(originalCore: "Prescott", tried: ["Cooperlake", "SkylakeX"]))),
    ])
    func decision(_ c: Case) {
        #expect(Decision.decide(environment: c.environment, loadedCore: c.loaded, cpuFlags: c.flags) == c.expected)
    }

    @Test func aMissingThreadTimeoutIsSetUnlessTheUserSetOneOrTurnedRelaunchingOff() {
        #expect(Decision.missingThreadTimeout(environment: [:]) == "4")
        #expect(Decision.missingThreadTimeout(environment: ["OPENBLAS_CORETYPE": "Haswell"]) == "4")
        #expect(Decision.missingThreadTimeout(environment: ["OPENBLAS_THREAD_TIMEOUT": "28"]) == nil)
        #expect(Decision.missingThreadTimeout(environment: ["BENCH_OPENBLAS_RELAUNCH": "0"]) == nil)
    }

    @Test func relaunchVariablesAppendToTheTriedListAndKeepTheOriginalCore() {
        #expect(Decision.relaunchVariables(environment: [:], coreType: "Cooperlake", loadedCore: "Prescott") == [
            "OPENBLAS_CORETYPE": "Cooperlake", "BENCH_OPENBLAS_TRIED": "Cooperlake", "BENCH_OPENBLAS_RELAUNCHED": "Prescott",
        ])
        let second = ["OPENBLAS_CORETYPE": "Cooperlake", "BENCH_OPENBLAS_TRIED": "Cooperlake", "BENCH_OPENBLAS_RELAUNCHED": "Prescott"]
        #expect(Decision.relaunchVariables(environment: second, coreType: "SkylakeX", loadedCore: "Prescott") == [
            "OPENBLAS_CORETYPE": "SkylakeX", "BENCH_OPENBLAS_TRIED": "Cooperlake,SkylakeX", "BENCH_OPENBLAS_RELAUNCHED": "Prescott",
        ])
    }

    /// Simulates the relaunch chain against libraries that accept only some core names (and fall
    /// back to "Prescott" otherwise, as Debian's 0.3.21 does for "Cooperlake"): it always ends,
    /// after at most one relaunch per candidate, on the best accepted core.
    @Test(arguments: [
        (Set(["Cooperlake", "SkylakeX", "Haswell"]), "Cooperlake", 1),
        (Set(["SkylakeX", "Haswell"]), "SkylakeX", 2),
        (Set(["Haswell"]), "Haswell", 3),
        (Set<String>(), "Prescott", 3),
    ] as [(Set<String>, String, Int)])
    func relaunchChainEnds(accepted: Set<String>, finalCore: String, relaunches: Int) {
        var environment: [String: String] = ["HOME": "/root"]
        var count = 0
        while true {
            let loaded = environment["OPENBLAS_CORETYPE"].flatMap { accepted.contains($0) ? $0 : nil } ?? "Prescott"
            let decision = Decision.decide(environment: environment, loadedCore: loaded, cpuFlags: bf16Flags)
            guard case let .relaunch(coreType) = decision else {
                #expect(loaded == finalCore)
                break
            }
            environment.merge(Decision.relaunchVariables(environment: environment, coreType: coreType, loadedCore: loaded)) { $1 }
            count += 1
            if count > OpenBLASCore.coreTable.count {
                Issue.record("relaunch loop: \(environment)")
                return
            }
        }
        #expect(count == relaunches)
    }
}
