import Foundation
import Methods
import Testing
import TestSupport
@testable import Bench

@Suite struct RegressionFigureTests {
    /// Known check values: the CRC-32 of "IEND" (every PNG's last four bytes) and the Adler-32 of
    /// "Wikipedia" (RFC 1950's worked example as commonly quoted).
    @Test func checksumsMatchKnownValues() {
        #expect(PNGEncoder.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    /// A 3×2 indexed image: signature, IHDR fields, palette, one stored deflate block holding
    /// the filtered scanlines (4-bit pixels packed high nibble first), the Adler-32, IEND.
    @Test func smallImageHasTheExpectedBytes() {
        let png = PNGEncoder.encode(width: 3, height: 2, indices: [0, 1, 2, 2, 1, 0], palette: [(255, 255, 255), (0, 0, 0), (10, 20, 30)])
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[8..<33]) == [0, 0, 0, 13] + Array("IHDR".utf8) + [0, 0, 0, 3, 0, 0, 0, 2, 4, 3, 0, 0, 0]
                + PNGEncoder.bigEndian(PNGEncoder.crc32(Array("IHDR".utf8) + [0, 0, 0, 3, 0, 0, 0, 2, 4, 3, 0, 0, 0])))
        let raw: [UInt8] = [0, 0x01, 0x20, 0, 0x21, 0x00]
        let idat = [0x78, 0x01, 1, 6, 0, 0xF9, 0xFF] + raw + PNGEncoder.bigEndian(PNGEncoder.adler32(raw))
        let expectedTail = PNGEncoder.chunk("IDAT", idat) + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        #expect(Array(png.suffix(expectedTail.count)) == expectedTail)
        #expect(png.count == 8 + 25 + (12 + 9) + expectedTail.count)
    }

    /// Data longer than one stored block is split at 65,535 bytes, only the last block final.
    @Test func longDataIsSplitIntoStoredBlocks() {
        let data = (0..<70_000).map { UInt8($0 % 251) }
        let z = PNGEncoder.zlibStored(data)
        #expect(z.count == 2 + 5 + 65_535 + 5 + 4_465 + 4)
        #expect(Array(z[2..<7]) == [0, 0xFF, 0xFF, 0, 0] && Array(z[(7 + 65_535)..<(12 + 65_535)]) == [1, 0x71, 0x11, 0x8E, 0xEE])
    }

    static func rows() -> [PromptSteeringResultRow] {
        var rows = [PromptSteeringResultRow]()
        for condition in ["standard", "orthogonal-query"] {
            for method in PromptSteeringFigure.series.map(\.method) {
                for k in condition == "standard" ? Array(0...8) : [3] {
                    rows.append(PromptSteeringResultRow(
                        checkpoint: "m", function: "linear", dims: 4, method: method, condition: condition, inContextExamples: k,
                        squaredError: Double(10 - k) + (method == "ltv" ? 100 : 0), prompts: 8, seed: 0, settingsHash: "abc",
                        settings: "protocol=per-prompt", prepSeconds: 0, codeVersion: "c", finishedAt: "t"))
                }
            }
        }
        return rows
    }

    /// One panel per condition, one line per series (a single point as a short tick), the
    /// trained length marked where it falls on the axis, errors above the ceiling on the top edge.
    @Test func figureHasOnePanelPerConditionAndOneLinePerSeries() {
        let (svg, png) = PromptSteeringFigure.render(Self.rows(), trainedExamples: 4, ceiling: 8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 7)  // standard: 7 curves; orthogonal: single points
        #expect(svg.contains(">standard</text>") && svg.contains(">orthogonal-query</text>") && svg.contains(">+ltv</text>"))
        #expect(svg.contains(">trained</text>"))
        #expect(svg.contains(">10</text>") && !svg.contains(">100</text>"))  // the axis ends at niceCeiling(min(8, 110)) = 10
        #expect(Array(png[16..<24]) == PNGEncoder.bigEndian(2 * 1020) + PNGEncoder.bigEndian(2 * 284))
        #expect(PromptSteeringFigure.niceCeiling(7.2) == 10 && PromptSteeringFigure.niceCeiling(20) == 20 && abs(PromptSteeringFigure.niceCeiling(0.21) - 0.25) < 1e-12)
    }

    /// The raster draws text with the bitmap font at the stated place and scale.
    @Test func rasterTextUsesTheBitmapFont() {
        var canvas = RasterCanvas(width: 10, height: 10, scale: 2)
        canvas.text("1", x: 0, y: 7, anchor: .start, color: 1)
        // "1" row 0 is 00100: column 2 at dots (4...5, 0...1) in pixels.
        #expect(canvas.pixels[0 * 20 + 4] == 1 && canvas.pixels[1 * 20 + 5] == 1 && canvas.pixels[0 * 20 + 2] == 0)
        #expect(canvas.pixels.filter { $0 == 1 }.count == 4 * [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110].reduce(0) { $0 + $1.nonzeroBitCount })
    }

    @Test func tableAndCSVRoundTrip() throws {
        let rows = Self.rows()
        let text = CSV.text(rows)
        #expect(text.hasPrefix("checkpoint,function,dims,method,condition,in_context_examples,squared_error,prompts,seed,"))
        #expect(try CSV.rows(PromptSteeringResultRow.self, from: text, file: "x.csv") == rows)
        let table = PromptSteeringTables.table(rows, checkpoint: "m")
        #expect(table.header == ["condition: method", "k=0", "k=4", "k=8"])
        #expect(table.rows.first == ["standard: transformer", "10.000", "6.000", "2.000"])
        #expect(table.rows.contains(["orthogonal-query: ltv", "—", "—", "—"]))
        #expect(table.rows.count == 14)
        let eval = [RegressionEvaluationRow(condition: "c", estimator: "transformer", inContextExamples: 2, squaredErrorPerDimension: 0.5, prompts: 3)]
        #expect(CSV.text(eval) == "condition,estimator,in_context_examples,squared_error_per_dim,prompts\nc,transformer,2,0.5,3\n")
        #expect(try CSV.rows(RegressionEvaluationRow.self, from: CSV.text(eval), file: "eval.csv") == eval)
        #expect(throws: CSVError.self) { try CSV.rows(RegressionEvaluationRow.self, from: "condition,estimator,in_context_examples,squared_error_per_dim,prompts\nc,t,two,0.5,3\n", file: "eval.csv") }
    }
}

@Suite struct RegressionCurveStoreTests {
    /// curve.csv through the CSV store: the header and format of the committed curves, a
    /// replacement of every row, and a malformed row named by file and line.
    @Test func curveRoundTripsThroughTheCSVStore() throws {
        let folder = try makeTemporaryDirectory("curve")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("curve.csv")
        var curve = try CSVCurveStore(url: url)
        #expect(curve.records().isEmpty)
        let records = [RegressionTrainingRecord(step: 20, loss: 3.5464207410812376, stepsPerSecond: 4.98912, dimensions: 10, points: 21),
                       RegressionTrainingRecord(step: 40, loss: 2.5, stepsPerSecond: 5, dimensions: 10, points: 21)]
        try curve.replace(with: records)
        #expect(try String(contentsOf: url, encoding: .utf8)
                == "step,loss,steps_per_second,dimensions,points\n20,3.5464207410812376,4.98912,10,21\n40,2.5,5.0,10,21\n")
        try curve.replace(with: [records[0]])
        let reread = try CSVCurveStore(url: url).records()
        #expect(reread.count == 1 && reread[0].step == 20 && reread[0].loss == records[0].loss && reread[0].stepsPerSecond == 4.98912)
        try "step,loss,steps_per_second,dimensions,points\n20,abc,1.0,10,21\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: CSVError.self) { try CSVCurveStore(url: url) }
        // The committed curve of the trained model reads back.
        let committed = SharedPaths.repositoryRoot.appendingPathComponent("results/regression/linear-d10-small-16200/curve.csv")
        #expect(try CSVCurveStore(url: committed).records().last?.step == 16_200)
    }
}
