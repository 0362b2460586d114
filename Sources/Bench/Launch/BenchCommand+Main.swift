import ArgumentParser

extension BenchCommand {
    /// The process entry point: fixes the OpenBLAS core (which may re-execute the process) before
    /// the command line is parsed or any matrix product runs.
    static func main() {
        OpenBLASLauncher.relaunchIfNeeded()
        main(nil)
    }
}
