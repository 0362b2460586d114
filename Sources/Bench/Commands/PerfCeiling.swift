// Shapes: M rows (the tokens of a prefill batch), I inputs, O outputs; weights (O, I) as Linear stores them.
import Models
import Tensors

/// The float32 prefill ceiling of a model on this machine: the time OpenBLAS's SGEMM takes for the
/// layer products of M tokens at once (the same shapes and the same M as the decoder's prefill),
/// measured on synthetic operands in the same run as the figure it bounds.
struct PrefillCeiling {
    /// M: the rows of every product.
    var rows: Int
    /// Seconds for all layer products of the M rows (each shape's best run × its count).
    var seconds: Double
    /// CPU seconds of those runs (every thread of the process), the same way.
    var cpuSeconds: Double
    /// FLOP of the layer products per token.
    var flopPerToken: Int

    /// The fewest runs per shape `bench perf` takes for the ceiling, whatever --repeats says.
    static let minimumRepeats = 5

    var gflops: Double { Double(rows * flopPerToken) / seconds / 1e9 }
    var tokensPerSecond: Double { Double(rows) / seconds }

    /// Times y (M, O) = x (M, I) · wᵀ for each distinct shape of `products` (best of `repeats`
    /// after one warm-up) and adds the times up by count.
    /// - Precondition: rows ≥ 1, repeats ≥ 1.
    static func measure(_ products: [MatrixProduct], rows m: Int, repeats: Int) -> PrefillCeiling {
        precondition(m >= 1 && repeats >= 1, "PrefillCeiling: rows \(m) and repeats \(repeats) must be positive")
        let maxInputs = products.map(\.inputs).max() ?? 1, maxOutputs = products.map(\.outputs).max() ?? 1
        let x = (0..<(m * maxInputs)).map { Float(($0 * 7 + 3) % 101) / 101 - 0.5 }
        var y = [Float](repeating: 0, count: m * maxOutputs)
        var total = 0.0, cpuTotal = 0.0
        for product in products {
            let w = (0..<(product.outputs * product.inputs)).map { Float(($0 * 13 + 5) % 97) / 97 - 0.5 }
            linearForward(&y, x, w, rows: m, inputs: product.inputs, outputs: product.outputs)  // warm-up
            let best = bestTimes(repeats: repeats) {
                linearForward(&y, x, w, rows: m, inputs: product.inputs, outputs: product.outputs)
            }
            total += best.wall * Double(product.count)
            cpuTotal += best.cpu * Double(product.count)
        }
        return PrefillCeiling(rows: m, seconds: total, cpuSeconds: cpuTotal, flopPerToken: products.reduce(0) { $0 + $1.flopPerRow })
    }
}
