import Foundation
import Testing
@testable import Methods

/// A row type as a results file would declare one: named columns, an optional, a boolean, a
/// typed method column.
private struct CurvePoint: CSVRow, Equatable {
    var method: MethodName
    var step: Int
    var loss: Double
    var best: Bool
    var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case method, step, loss, best, note
    }

    static let header = CodingKeys.allCases.map(\.stringValue)
}

@Suite struct CSVRowTests {
    private let points = [
        CurvePoint(method: .ltv, step: 0, loss: 5.25, best: false, note: nil),
        CurvePoint(method: .icl(shots: 5), step: 50, loss: 0.1 + 0.2, best: true, note: "kept, \"best\"\nso far"),
    ]

    @Test func rowsRoundTripThroughTheirColumns() throws {
        let text = CSV.text(points)
        #expect(text == "method,step,loss,best,note\nltv,0,5.25,false,\nicl-5,50,0.30000000000000004,true,\"kept, \"\"best\"\"\nso far\"\n")
        #expect(try CSV.rows(CurvePoint.self, from: text, file: "curve.csv") == points)
    }

    /// Small broken files: each error names the file, the line and, for a bad value, the column.
    @Test func brokenFilesAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("csv-rows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, CSVError)] = [
            ("method,step\nltv,0\n", .unexpectedHeader(file: "header.csv", expected: CurvePoint.header, found: ["method", "step"])),
            ("method,step,loss,best,note\nltv,0,5.25,false,\nltv,1,5.0\n",
             .malformedRow(file: "short.csv", line: 3, reason: "3 fields, expected 5")),
            ("method,step,loss,best,note\nltv,one,5.25,false,\n",
             .badField(file: "step.csv", line: 2, column: "step", value: "one", expected: "an integer")),
            ("method,step,loss,best,note\nltv,0,5.25,false,\nltv,1,low,false,\n",
             .badField(file: "loss.csv", line: 3, column: "loss", value: "low", expected: "a number")),
            ("method,step,loss,best,note\nltv,0,5.25,maybe,\n",
             .badField(file: "best.csv", line: 2, column: "best", value: "maybe", expected: "true or false")),
            ("method,step,loss,best,note\nLTV,0,5.25,false,\n",
             .badField(file: "method.csv", line: 2, column: "method", value: "LTV", expected: MethodName.spellings)),
            ("method,step,loss,best,note\nltv,0,5.25,false,\"open\n",
             .malformedRow(file: "quote.csv", line: 2, reason: "a quoted field is not closed before the end of the file")),
        ]
        for (text, expected) in cases {
            let name: String
            switch expected {
            case let .malformedRow(file, _, _), let .unexpectedHeader(file, _, _), let .badField(file, _, _, _, _): name = file
            }
            let url = folder.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            let read = try String(contentsOf: url, encoding: .utf8)
            #expect(throws: expected) { try CSV.rows(CurvePoint.self, from: read, file: name) }
        }
    }
}
