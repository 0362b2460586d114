import Foundation
import Testing
import ModelFormats
import TestSupport

/// One tensor of `dequant.json`: sums computed by the gguf Python package over the whole tensor.
struct DequantReference: Decodable {
    let tensor: String
    let type: String
    let gguf_shape: [Int]
    let elements: Int
    let sum: Double
    let sum_of_squares: Double
}

private struct DequantReferenceFile: Decodable {
    let tensors: [DequantReference]
}

enum DequantFixture: String, CaseIterable, CustomTestStringConvertible {
    case smolLM2 = "smollm2-135m-instruct-q4_1"
    case gemma3 = "gemma3-270m-q4_k_m"

    var model: URL { self == .smolLM2 ? SharedPaths.smolLM2 : SharedPaths.gemma3 }
    var folder: URL { SharedPaths.reference.appendingPathComponent(rawValue) }
    var testDescription: String { rawValue }

    func references() throws -> [DequantReference] {
        let data = try Data(contentsOf: requireFile(folder.appendingPathComponent("dequant.json")))
        return try JSONDecoder().decode(DequantReferenceFile.self, from: data).tensors
    }
}

@Suite struct DequantizationFixtureTests {
    @Test(arguments: DequantFixture.allCases)
    func sumsMatchReference(fixture: DequantFixture) throws {
        let file = try GGUFFile(contentsOf: requireFile(fixture.model))
        let references = try fixture.references()
        #expect(!references.isEmpty)
        for reference in references {
            let info = try file.tensorInfo(named: reference.tensor)
            #expect(info.type.name == reference.type, "\(reference.tensor)")
            #expect(info.dimensions == reference.gguf_shape, "\(reference.tensor)")
            #expect(info.elementCount == reference.elements, "\(reference.tensor)")
            // Whole tensors up to 2M elements; larger ones (the 167M-element Gemma embedding)
            // by chunks of rows into one buffer, so the test does not allocate gigabytes.
            var sum = 0.0, sumOfSquares = 0.0
            func accumulate(_ buffer: UnsafeBufferPointer<Float>) {
                for value in buffer {
                    sum += Double(value)
                    sumOfSquares += Double(value) * Double(value)
                }
            }
            if info.elementCount <= 2_000_000 {
                try file.dequantize(info).withUnsafeBufferPointer(accumulate)
            } else {
                let rowsPerChunk = max(1, (1 << 20) / info.rowLength)
                var buffer = [Float](repeating: .nan, count: rowsPerChunk * info.rowLength)
                try buffer.withUnsafeMutableBufferPointer { buffer in
                    for start in stride(from: 0, to: info.rowCount, by: rowsPerChunk) {
                        let rows = start..<min(info.rowCount, start + rowsPerChunk)
                        try file.dequantizeRows(info, rows: rows, into: buffer.baseAddress!)
                        accumulate(UnsafeBufferPointer(rebasing: buffer[0..<(rows.count * info.rowLength)]))
                    }
                }
            }
            #expect(abs(sum - reference.sum) <= 1e-4 * max(abs(reference.sum), 1e-3),
                    "\(reference.tensor) (\(reference.type)): sum \(sum) vs \(reference.sum)")
            #expect(abs(sumOfSquares - reference.sum_of_squares) <= 1e-4 * abs(reference.sum_of_squares),
                    "\(reference.tensor) (\(reference.type)): sum of squares \(sumOfSquares) vs \(reference.sum_of_squares)")
        }
    }

    @Test(arguments: DequantFixture.allCases)
    func firstValuesMatchReference(fixture: DequantFixture) throws {
        let file = try GGUFFile(contentsOf: requireFile(fixture.model))
        let expected = try SafetensorsFile(contentsOf: requireFile(fixture.folder.appendingPathComponent("dequant.safetensors")))
        let references = try fixture.references()
        #expect(expected.tensors.count == references.count)
        for reference in references {
            let want = try expected.floats(named: reference.tensor + ".first1024")
            let info = try file.tensorInfo(named: reference.tensor)
            // Rows cover the first 1024 values; the row API must agree with whole-tensor decoding.
            let rows = min(info.rowCount, (want.count + info.rowLength - 1) / info.rowLength)
            let got = try file.dequantizeRows(info, rows: 0..<rows)
            #expect(got.count >= want.count)
            var worst: Float = 0
            for (index, value) in want.enumerated() {
                worst = max(worst, abs(got[index] - value))
            }
            #expect(worst <= 1e-6, "\(reference.tensor) (\(reference.type)): max difference \(worst)")
        }
    }

    /// Whole-tensor and row-wise decoding agree, for the first tensor of every type in each
    /// model, on rows from the middle and the end.
    @Test(arguments: DequantFixture.allCases)
    func rowsAgreeWithWholeTensor(fixture: DequantFixture) throws {
        let file = try GGUFFile(contentsOf: requireFile(fixture.model))
        var seen = Set<GGMLType>()
        for info in file.tensors where info.elementCount <= 2_000_000 && seen.insert(info.type).inserted {
            let whole = try file.dequantize(info)
            for start in [info.rowCount / 2, info.rowCount - 1] {
                let rows = start..<min(info.rowCount, start + 3)
                let part = try file.dequantizeRows(info, rows: rows)
                #expect(Array(whole[(rows.lowerBound * info.rowLength)..<(rows.upperBound * info.rowLength)]) == part,
                        "\(info.name) rows \(rows)")
            }
        }
        #expect(seen.count >= 2)
    }

    @Test func rowsOutOfRangeThrow() throws {
        let file = try GGUFFile(contentsOf: requireFile(SharedPaths.smolLM2))
        let info = try file.tensorInfo(named: "blk.0.ffn_down.weight")
        #expect(throws: ModelFormatError.rowsOutOfRange(path: file.path, tensor: info.name, rows: 570..<577, rowCount: 576)) {
            try file.dequantizeRows(info, rows: 570..<577)
        }
    }

    /// Every tensor of both models decodes: its first and last rows are finite.
    @Test(arguments: DequantFixture.allCases)
    func everyTensorDecodes(fixture: DequantFixture) throws {
        let file = try GGUFFile(contentsOf: requireFile(fixture.model))
        for info in file.tensors {
            #expect(info.type.isDequantizable, "\(info.name) is \(info.type.name)")
            for row in Set([0, info.rowCount - 1]) {
                let values = try file.dequantizeRows(info, rows: row..<(row + 1))
                #expect(values.count == info.rowLength)
                let allFinite = values.allSatisfy { $0.isFinite }
                #expect(allFinite, "\(info.name) row \(row) has non-finite values")
            }
        }
    }
}
