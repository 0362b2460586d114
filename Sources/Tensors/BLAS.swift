import CBLAS
import CKernels

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
        if m * n * k >= multithreadedProductSize { tvb_parallel_rest() }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
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

    /// Threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
