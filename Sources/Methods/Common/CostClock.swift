import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// User + system CPU time of this process, all threads (getrusage(2); glibc's spelling of
/// RUSAGE_SELF: the project supports Linux only).
public func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Wall and CPU time since it was made. On a shared machine a cell's wall time stretches with
/// the load; its CPU seconds are the work itself, what the same cell costs on an idle machine
/// (one thread; with more, what all of them spent, waits included).
struct CostClock {
    let wallStart = Date()
    let cpuStart = processCPUSeconds()

    var seconds: Double { Date().timeIntervalSince(wallStart) }
    var cpuSeconds: Double { processCPUSeconds() - cpuStart }
}
