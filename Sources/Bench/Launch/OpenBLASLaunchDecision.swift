/// What `bench` does about the OpenBLAS kernel core at start-up.
///
/// The first process compares the core OpenBLAS loaded with the best core the CPU flags allow and,
/// when the loaded one is of an older generation, relaunches itself with `OPENBLAS_CORETYPE` set.
/// A library may not accept every name (Debian's 0.3.21 answers "Core not found: Cooperlake" and
/// falls back to its own detection), so a relaunched process that did not get the core it asked
/// for tries the next candidate. Every name is tried at most once, so the chain ends after at most
/// `OpenBLASCore.coreTable.count` relaunches.
enum OpenBLASLaunchDecision: Equatable {
    /// Run on in this process.
    case keep(KeepReason)
    /// Set `OPENBLAS_CORETYPE` to `coreType`, record it as tried, and re-execute the same command line.
    case relaunch(coreType: String)

    enum KeepReason: Equatable {
        /// `BENCH_OPENBLAS_RELAUNCH=0`: keep whatever OpenBLAS loaded.
        case disabled
        /// The user set `OPENBLAS_CORETYPE` (their value wins, even when slower).
        case userCoreType(String)
        /// The CPU flags name no core (no AVX2): OpenBLAS's own choice stands.
        case noCoreForFlags
        /// OpenBLAS loaded a core of the generation the flags call for.
        case loadedCoreSuffices
        /// A relaunch got a core of the wanted generation; `originalCore` is what OpenBLAS chose alone.
        case relaunched(originalCore: String, tried: [String])
        /// Every candidate was tried and none loaded; the process runs with what it has.
        case candidatesExhausted(originalCore: String, tried: [String])
    }

    /// Marks a relaunched process; its value is the core OpenBLAS chose alone in the first process.
    static let guardVariable = "BENCH_OPENBLAS_RELAUNCHED"
    /// The comma-separated core names already asked for, in order.
    static let triedVariable = "BENCH_OPENBLAS_TRIED"
    static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set to `0` to keep OpenBLAS's own choice (`bench doctor` uses it to time that choice).
    static let switchVariable = "BENCH_OPENBLAS_RELAUNCH"

    /// Decides from the environment, the core OpenBLAS loaded and the CPU flags. Pure.
    static func decide(environment: [String: String], loadedCore: String, cpuFlags: Set<String>) -> Self {
        if environment[switchVariable] == "0" {
            return .keep(.disabled)
        }
        let original = environment[guardVariable]
        if original == nil, let chosen = environment[coreTypeVariable], !chosen.isEmpty {
            return .keep(.userCoreType(chosen))
        }
        let candidates = OpenBLASCore.candidates(forFlags: cpuFlags)
        guard let wanted = candidates.first, let wantedTier = OpenBLASCore.tier(ofCoreName: wanted) else {
            return .keep(.noCoreForFlags)
        }
        // An unknown loaded name counts as older: the flags prove the candidates run here.
        let loadedTier = OpenBLASCore.tier(ofCoreName: loadedCore) ?? -1
        let tried = (environment[triedVariable] ?? "").split(separator: ",").map(String.init)
        if loadedTier >= wantedTier {
            if let original { return .keep(.relaunched(originalCore: original, tried: tried)) }
            return .keep(.loadedCoreSuffices)
        }
        let triedNames = Set(tried.map { $0.lowercased() })
        let next = candidates.first { candidate in
            !triedNames.contains(candidate.lowercased()) && (OpenBLASCore.tier(ofCoreName: candidate) ?? -1) > loadedTier
        }
        if let next { return .relaunch(coreType: next) }
        return .keep(.candidatesExhausted(originalCore: original ?? loadedCore, tried: tried))
    }

    /// OpenBLAS's spin before its idle threads sleep, read once when the library loads: 2^n cycles
    /// (n from 4 to 30; 28 when unset, about 0.1 s here).
    static let threadTimeoutVariable = "OPENBLAS_THREAD_TIMEOUT"
    /// The shortest spin (2^4 cycles). The idle threads then sleep between products instead of
    /// spinning with `sched_yield` on the cores the kernel pool and the main thread run on.
    /// Measured 2026-12-05 on 2 cores, four runs each way: prefill 1×128 at 0.823 of the SGEMM
    /// ceiling against 0.770 (SmolLM2) and 0.760 against 0.736 (Gemma); a SITE/TV/LTV run on two
    /// tasks 177 s against 184 s, system time 9 s against 39 s.
    static let threadTimeout = "4"

    /// The `OPENBLAS_THREAD_TIMEOUT` value this process should have been started with, when it
    /// was not and the user has not turned relaunching off; nil otherwise. Pure.
    static func missingThreadTimeout(environment: [String: String]) -> String? {
        guard environment[switchVariable] != "0", environment[threadTimeoutVariable] == nil else { return nil }
        return threadTimeout
    }

    /// The variables a relaunch with `coreType` sets: the core type, the tried list with
    /// `coreType` appended, and the guard (kept from the first process, else `loadedCore`). Pure.
    static func relaunchVariables(environment: [String: String], coreType: String, loadedCore: String) -> [String: String] {
        let tried = environment[triedVariable].map { $0.isEmpty ? coreType : $0 + "," + coreType } ?? coreType
        return [
            coreTypeVariable: coreType,
            triedVariable: tried,
            guardVariable: environment[guardVariable] ?? loadedCore,
        ]
    }
}
