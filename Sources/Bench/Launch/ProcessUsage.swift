// What this process has used so far, from getrusage(2). glibc's spelling of RUSAGE_SELF: the
// project supports Linux only (Package.swift).
#if canImport(Glibc)
import Glibc
#endif

/// User + system CPU time of this process, all threads.
func processCPUSeconds() -> Double {
    let usage = resourceUsage()
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// The process's peak resident set size (getrusage; kilobytes on Linux).
func peakResidentMebibytes() -> Double {
    Double(resourceUsage().ru_maxrss) / 1024
}

private func resourceUsage() -> rusage {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage
}
