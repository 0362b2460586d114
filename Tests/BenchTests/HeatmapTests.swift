import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Bench

/// Collects the attributes of every element of an XML document.
private final class ElementCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}

private func parse(_ svg: String) throws -> ElementCollector {
    let parser = XMLParser(data: Data(svg.utf8))
    let collector = ElementCollector()
    parser.delegate = collector
    let ok = parser.parse()
    #expect(ok, "SVG is not well-formed XML: \(String(describing: parser.parserError))")
    return collector
}

@Suite struct HeatmapTests {
    /// A 5 × 3 table with distinct values spread over [0, 1].
    let values: [[Double]] = HeatmapTests.spread()

    static func spread() -> [[Double]] {
        var table = [[Double]]()
        for l in 0..<5 {
            var row = [Double]()
            for h in 0..<3 {
                let k = (l * 7 + h * 11) % 15
                row.append(Double(k) / 14)
            }
            table.append(row)
        }
        return table
    }

    @Test func isWellFormedWithOneCellPerHead() throws {
        let svg = HeadHeatmap(values: values, title: "SITE α, smollm2 & co, task <antonym>").svg()
        let doc = try parse(svg)
        #expect(doc.elements.first?.name == "svg")
        let cells = doc.elements.filter { $0.name == "rect" && $0.attributes["class"] == "cell" }
        #expect(cells.count == 5 * 3)
        // Each (layer, head) exactly once, carrying its value.
        let positions = Set(cells.map { "\($0.attributes["data-layer"]!).\($0.attributes["data-head"]!)" })
        #expect(positions.count == 15)
        for cell in cells {
            let l = Int(cell.attributes["data-layer"]!)!, h = Int(cell.attributes["data-head"]!)!
            #expect(abs(Double(cell.attributes["data-value"]!)! - values[l][h]) < 1e-6)
        }
        // The title (escaped in the file) and a legend.
        #expect(doc.text.contains("SITE α, smollm2 & co, task <antonym>"))
        #expect(doc.elements.contains { $0.name == "rect" && $0.attributes["class"] == "legend" })
        #expect(doc.elements.filter { $0.name == "stop" }.count == 2)
    }

    @Test func coloursAreMonotoneInTheValue() throws {
        let doc = try parse(HeadHeatmap(values: values, title: "t").svg())
        let cells = doc.elements.filter { $0.attributes["class"] == "cell" }.map { cell -> (value: Double, rgb: [Int]) in
            let fill = cell.attributes["fill"]!
            let hex = fill.dropFirst()
            let rgb = stride(from: 0, to: 6, by: 2).map { i -> Int in
                let start = hex.index(hex.startIndex, offsetBy: i)
                return Int(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
            }
            return (Double(cell.attributes["data-value"]!)!, rgb)
        }.sorted { $0.value < $1.value }
        #expect(cells.first!.value == 0 && cells.last!.value == 1)
        #expect(cells.first!.rgb == [255, 255, 255])
        #expect(cells.last!.rgb == [8, 48, 107])
        for (a, b) in zip(cells, cells.dropFirst()) {
            // A larger value is never lighter in any channel, and strictly darker overall; equal
            // values share a colour.
            #expect(zip(a.rgb, b.rgb).allSatisfy { $0 >= $1 })
            if a.value < b.value {
                #expect(a.rgb.reduce(0, +) > b.rgb.reduce(0, +))
            } else {
                #expect(a.rgb == b.rgb)
            }
        }
    }

    @Test func clampsValuesOutsideTheScale() {
        let map = HeadHeatmap(values: [[0]], title: "t")
        #expect(map.hex(-3) == map.hex(0))
        #expect(map.hex(7) == map.hex(1))
    }
}
