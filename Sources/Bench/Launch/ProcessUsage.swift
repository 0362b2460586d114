// What this process has used so far, from getrusage(2); its CPU seconds are Methods'
// `processCPUSeconds`. glibc's spelling of RUSAGE_SELF: the project supports Linux only
// (Package.swift).
#if canImport(Glibc)
import Glibc
#endif

/// The process's peak resident set size (getrusage; kilobytes on Linux).
func peakResidentMebibytes() -> Double {
    Double(resourceUsage().ru_maxrss) / 1024
}

private func resourceUsage() -> rusage {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage
}
