import CBLAS
import CKernels
import Foundation

/// Matrix products through `cblas_sgemm`, row-major.
public enum BLAS {
    /// C (M, N) = alpha * op(A) op(B) + beta * C, with op(A) (M, K) and op(B) (K, N).
    /// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored.
    @inlinable
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if m * n * k >= multithreadedProductSize && threadCount > 1 { tvb_parallel_rest() }
        // β = 0: zero C here and accumulate with β = 1. OpenBLAS 0.3 otherwise clears C in a pass
        // of its own before the product (gemm_beta), which on 2 Zen 2 cores made a (1024, 192, 576)
        // product 1.30× and a (1024, 1536, 576) one 1.12× slower than memset + β = 1, and
        // attention's (64, 300, 64) 1.3×. The sums are the same: the kernel adds to a zero C.
        if beta == 0 { zeroRows(c, rows: m, columns: n, stride: ldc) }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta == 0 ? 1 : beta, c, Int32(ldc))
    }

    /// Zeroes `rows` rows of `columns` floats, `stride` apart.
    @usableFromInline static func zeroRows(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int) {
        if stride == columns {
            c.update(repeating: 0, count: rows * columns)
        } else {
            for r in 0..<rows { (c + r * stride).update(repeating: 0, count: columns) }
        }
    }

    /// m·n·k from which OpenBLAS 0.3 splits an SGEMM between its threads (SMP_THRESHOLD_MIN ·
    /// GEMM_MULTITHREAD_THRESHOLD); the kernel pool's spinning workers make way for them.
    @usableFromInline static let multithreadedProductSize = 1 << 18

    /// The kernel core OpenBLAS chose when it loaded (e.g. "Prescott", "SkylakeX", "Cooperlake").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration string.
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// Threads OpenBLAS uses for one call. Setting it does nothing when `threadCountIsFixed`.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            guard !threadCountIsFixed else { return }
            openblas_set_num_threads(Int32(max(1, newValue)))
        }
    }

    /// Whether `BENCH_FIXED_BLAS_THREADS` is set (to anything): OpenBLAS then keeps the thread count
    /// it started with (`OPENBLAS_NUM_THREADS`), whatever `--threads` or a one-thread section asks.
    /// For the test process (scripts/test sets it, with one thread): tests run side by side, and
    /// on OpenBLAS's Haswell/Zen kernels a product's rounding depends on how it is split between
    /// threads, so one test changing the count would change another's last bits.
    public static let threadCountIsFixed = ProcessInfo.processInfo.environment["BENCH_FIXED_BLAS_THREADS"] != nil

    /// Threads of the engine's own parallel loops (the kernel pool: matrix–vector products,
    /// attention's pairs): OpenBLAS's count, or the available cores when that count is fixed.
    public static var poolThreads: Int {
        threadCountIsFixed ? ProcessInfo.processInfo.activeProcessorCount : threadCount
    }

    /// Runs `body(threads)` with OpenBLAS on one thread per call, `threads` being the pool's threads
    /// (`poolThreads`) when the first open section entered: for many small independent products spread over the kernel pool, each on its own
    /// thread, where OpenBLAS would otherwise split every one of them and hand off between its
    /// threads. Overlapping sections (other threads' forward passes) share one count, and the
    /// last to leave restores the saved setting.
    static func withSingleThreadedCalls<R>(_ body: (_ threads: Int) throws -> R) rethrows -> R {
        let threads = SingleThreadedSections.shared.enter()
        defer { SingleThreadedSections.shared.leave() }
        return try body(threads)
    }
}

/// The nesting count behind `BLAS.withSingleThreadedCalls`, over a thread-count setting (OpenBLAS's
/// for `shared`; a plain variable in tests).
final class SingleThreadedSections: @unchecked Sendable {
    static let shared = SingleThreadedSections(read: { BLAS.poolThreads }, write: { BLAS.threadCount = $0 })
    private let read: () -> Int
    private let write: (Int) -> Void
    private let lock = NSLock()
    private var depth = 0   // guarded by `lock`
    private var saved = 1   // the setting when the first open section entered

    init(read: @escaping () -> Int, write: @escaping (Int) -> Void) {
        self.read = read
        self.write = write
    }

    /// Opens a section: the setting becomes 1. Returns what `read` gave when the first open section
    /// entered (for `shared`, `BLAS.poolThreads`: OpenBLAS's count, or every core when it is fixed).
    func enter() -> Int {
        lock.lock()
        defer { lock.unlock() }
        if depth == 0 {
            saved = read()
            write(1)
        }
        depth += 1
        return saved
    }

    /// Closes a section; the last one open restores the saved setting.
    func leave() {
        lock.lock()
        defer { lock.unlock() }
        depth -= 1
        if depth == 0 { write(saved) }
    }
}
