// Shape legend: L layers (rows), H heads (columns).
import Foundation

/// An (L, H) table of values in [low, high] drawn as an SVG heatmap: one cell per (layer, head),
/// layers down, heads across, a colour scale from white (low) to dark blue (high) and a legend.
struct HeadHeatmap {
    /// values[layer][head].
    var values: [[Double]]
    var title: String
    /// The ends of the colour scale; values outside are clamped.
    var low: Double = 0
    var high: Double = 1
    var valueName = "α"

    /// - Precondition: at least one layer, every layer with the same positive head count, low < high.
    init(values: [[Double]], title: String, low: Double = 0, high: Double = 1) {
        precondition(!values.isEmpty && !values[0].isEmpty && values.allSatisfy { $0.count == values[0].count },
                     "HeadHeatmap: ragged or empty table")
        precondition(low < high, "HeadHeatmap: scale \(low)...\(high)")
        self.values = values
        self.title = title
        self.low = low
        self.high = high
    }

    /// The colour of `value`: each channel falls linearly from white (255) at `low` to
    /// (8, 48, 107) at `high`, so darker always means larger.
    func colour(_ value: Double) -> (red: Int, green: Int, blue: Int) {
        let t = min(1, max(0, (value - low) / (high - low)))
        func channel(_ end: Double) -> Int { Int((255 + (end - 255) * t).rounded()) }
        return (channel(8), channel(48), channel(107))
    }

    func hex(_ value: Double) -> String {
        let c = colour(value)
        return String(format: "#%02x%02x%02x", c.red, c.green, c.blue)
    }

    /// The SVG document.
    func svg() -> String {
        let l = values.count, h = values[0].count
        let cell = 14.0, left = 60.0, top = 50.0
        let gridWidth = Double(h) * cell, gridHeight = Double(l) * cell
        let legendX = left + gridWidth + 30, legendWidth = 16.0
        let width = legendX + legendWidth + 60, height = top + gridHeight + 50
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="10">
            <text x="\(Int(left))" y="20" font-size="13">\(escaped(title))</text>
            <text x="\(fmt(left + gridWidth / 2))" y="\(fmt(top - 8))" text-anchor="middle">head</text>
            <text x="14" y="\(fmt(top + gridHeight / 2))" text-anchor="middle" transform="rotate(-90 14 \(fmt(top + gridHeight / 2)))">layer</text>

            """
        for layer in 0..<l {
            for head in 0..<h {
                let v = values[layer][head]
                s += "<rect class=\"cell\" data-layer=\"\(layer)\" data-head=\"\(head)\" data-value=\"\(String(format: "%.6f", v))\" "
                    + "x=\"\(fmt(left + Double(head) * cell))\" y=\"\(fmt(top + Double(layer) * cell))\" width=\"\(fmt(cell))\" height=\"\(fmt(cell))\" fill=\"\(hex(v))\">"
                    + "<title>layer \(layer) head \(head): \(valueName) = \(String(format: "%.4f", v))</title></rect>\n"
            }
        }
        let labelStep = max(1, l / 10)
        for layer in stride(from: 0, to: l, by: labelStep) {
            s += "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(top + (Double(layer) + 0.75) * cell))\" text-anchor=\"end\">\(layer)</text>\n"
        }
        for head in 0..<h {
            s += "<text x=\"\(fmt(left + (Double(head) + 0.5) * cell))\" y=\"\(fmt(top + gridHeight + 12))\" text-anchor=\"middle\">\(head)</text>\n"
        }
        // Legend: a vertical gradient, high at the top.
        s += "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
            + "<stop offset=\"0\" stop-color=\"\(hex(low))\"/><stop offset=\"1\" stop-color=\"\(hex(high))\"/></linearGradient></defs>\n"
        s += "<rect class=\"legend\" x=\"\(fmt(legendX))\" y=\"\(fmt(top))\" width=\"\(fmt(legendWidth))\" height=\"\(fmt(gridHeight))\" fill=\"url(#scale)\" stroke=\"#888\"/>\n"
        for i in 0...4 {
            let fraction = Double(i) / 4
            let y = top + gridHeight * (1 - fraction)
            s += "<text x=\"\(fmt(legendX + legendWidth + 4))\" y=\"\(fmt(y + 3))\">\(String(format: "%.2f", low + (high - low) * fraction))</text>\n"
        }
        s += "<text x=\"\(fmt(legendX))\" y=\"\(fmt(top - 8))\">\(escaped(valueName))</text>\n</svg>\n"
        return s
    }

    private func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
}

/// `text` with the five XML special characters escaped.
func escaped(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(c)
        }
    }
    return out
}
