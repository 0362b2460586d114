import Foundation
import Tensors

/// Applies `OpenBLASLaunchDecision` to this process, before any BLAS call.
enum OpenBLASLauncher {
    /// Relaunches `bench` with a better `OPENBLAS_CORETYPE` when the decision says so, and with
    /// `OPENBLAS_THREAD_TIMEOUT` when it is missing (both are read only when the library loads);
    /// returns only when this process should run on. A process relaunched for its core says on
    /// stderr what it runs with.
    static func relaunchIfNeeded() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        let loadedCore = BLAS.coreName
        let flags = CPUInfo.current()?.flags ?? []
        let decision = OpenBLASLaunchDecision.decide(environment: environment, loadedCore: loadedCore, cpuFlags: flags)
        let timeout = OpenBLASLaunchDecision.missingThreadTimeout(environment: environment)
        if let timeout { setenv(OpenBLASLaunchDecision.threadTimeoutVariable, timeout, 1) }
        guard case let .relaunch(coreType) = decision else {
            if environment[OpenBLASLaunchDecision.guardVariable] != nil {
                standardError("bench: OpenBLAS core \(loadedCore): "
                    + story(decision, environment: environment, loadedCore: loadedCore))
            }
            // The same core, started again so that OpenBLAS reads the timeout.
            if timeout != nil { execv("/proc/self/exe", CommandLine.unsafeArgv) }
            return
        }
        let variables = OpenBLASLaunchDecision.relaunchVariables(
            environment: environment, coreType: coreType, loadedCore: loadedCore)
        for (name, value) in variables { setenv(name, value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: run on, slowly, and say why.
        let reason = String(cString: strerror(errno))
        standardError("bench: OpenBLAS runs core \(loadedCore); relaunching with OPENBLAS_CORETYPE=\(coreType) "
            + "failed (\(reason)); set it yourself for ~15x faster matrix products")
        #endif
    }

    /// How the running core came about, for `bench doctor` and the relaunch note.
    static func story(_ decision: OpenBLASLaunchDecision, environment: [String: String], loadedCore: String) -> String {
        switch decision {
        case let .keep(.relaunched(originalCore, tried)):
            return "OpenBLAS alone chose \(originalCore); bench relaunched with OPENBLAS_CORETYPE="
                + "\(environment[OpenBLASLaunchDecision.coreTypeVariable] ?? "?") (tried \(tried.joined(separator: ", ")))"
        case let .keep(.candidatesExhausted(originalCore, tried)):
            return "OpenBLAS alone chose \(originalCore); this OpenBLAS accepted none of "
                + "\(tried.joined(separator: ", ")) in OPENBLAS_CORETYPE, matrix products run slowly"
        case let .keep(.userCoreType(coreType)):
            return "OPENBLAS_CORETYPE=\(coreType) set by the user"
        case .keep(.disabled):
            return "OpenBLAS's own choice; \(OpenBLASLaunchDecision.switchVariable)=0"
        case .keep(.noCoreForFlags):
            return "OpenBLAS's own choice; the CPU flags call for no better core"
        case .keep(.loadedCoreSuffices):
            return "OpenBLAS's own choice, which suits the CPU flags"
        case let .relaunch(coreType):
            return "OpenBLAS's own choice; OPENBLAS_CORETYPE=\(coreType) would be faster (no relaunch happened)"
        }
    }
}

/// Writes `line` and a newline to standard error.
func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
