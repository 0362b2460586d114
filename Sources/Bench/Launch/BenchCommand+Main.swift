import ArgumentParser
import Foundation

extension BenchCommand {
    /// The process entry point: fixes the OpenBLAS core (which may re-execute the process) before
    /// the command line is parsed or any matrix product runs.
    static func main() {
        OpenBLASLauncher.relaunchIfNeeded()
        // Line-buffered even into a file or pipe, so long runs show each result as it is made.
        setvbuf(stdout, nil, _IOLBF, 0)
        // Every forward allocates fresh activations of up to tens of MB; returned to the kernel,
        // each would come back as page faults and zeroing (a quarter of prefill's non-BLAS time).
        retainFreedMemory()
        main(nil)
    }
}
