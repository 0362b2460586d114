import Foundation

/// The colours of the figures: index 0 is the background.
enum PlotPalette {
    static let colors: [(UInt8, UInt8, UInt8)] = [
        (255, 255, 255), (34, 34, 34), (221, 221, 221), (120, 120, 120),
        (0, 0, 0), (255, 127, 14), (214, 39, 40), (44, 160, 44), (31, 119, 180), (148, 103, 189), (140, 86, 75),
    ]
    static let background = 0, ink = 1, grid = 2, frame = 3

    static func hex(_ index: Int) -> String {
        let c = colors[index]
        return String(format: "#%02x%02x%02x", c.0, c.1, c.2)
    }
}

enum TextAnchor: String { case start, middle, end }

/// What a figure draws with, in logical units (1 unit = 1 SVG pixel); y grows downwards and a
/// text's y is its baseline.
protocol PlotCanvas {
    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: Int, width: Double, dashed: Bool)
    mutating func polyline(_ points: [(x: Double, y: Double)], color: Int, width: Double, dashed: Bool)
    mutating func text(_ text: String, x: Double, y: Double, anchor: TextAnchor, color: Int)
}

/// An SVG document.
struct SVGCanvas: PlotCanvas {
    let width: Int, height: Int
    private var body = ""

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    var document: String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" "
            + "font-family=\"monospace\" font-size=\"10\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" + body + "</svg>\n"
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: Int, width: Double, dashed: Bool) {
        body += "<line x1=\"\(Self.f(x1))\" y1=\"\(Self.f(y1))\" x2=\"\(Self.f(x2))\" y2=\"\(Self.f(y2))\" stroke=\"\(PlotPalette.hex(color))\" "
            + "stroke-width=\"\(Self.f(width))\"\(dashed ? " stroke-dasharray=\"4 3\"" : "")/>\n"
    }

    mutating func polyline(_ points: [(x: Double, y: Double)], color: Int, width: Double, dashed: Bool) {
        body += "<polyline points=\"" + points.map { "\(Self.f($0.x)),\(Self.f($0.y))" }.joined(separator: " ")
            + "\" fill=\"none\" stroke=\"\(PlotPalette.hex(color))\" stroke-width=\"\(Self.f(width))\"\(dashed ? " stroke-dasharray=\"4 3\"" : "")/>\n"
    }

    mutating func text(_ text: String, x: Double, y: Double, anchor: TextAnchor, color: Int) {
        let escaped = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        body += "<text x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(PlotPalette.hex(color))\">\(escaped)</text>\n"
    }
}

/// A raster of palette indices at `scale` pixels per unit, written as PNG by `PNGEncoder`.
/// Lines are stamped squares along the segment; text is `BitmapFont` at `scale` pixels per dot.
struct RasterCanvas: PlotCanvas {
    let width: Int, height: Int, scale: Int
    private(set) var pixels: [UInt8]

    init(width: Int, height: Int, scale: Int) {
        self.width = width * scale
        self.height = height * scale
        self.scale = scale
        pixels = [UInt8](repeating: UInt8(PlotPalette.background), count: width * scale * height * scale)
    }

    var png: [UInt8] { PNGEncoder.encode(width: width, height: height, indices: pixels, palette: PlotPalette.colors) }

    private mutating func fill(_ x0: Int, _ y0: Int, _ size: Int, color: Int) {
        for y in max(0, y0)..<min(height, y0 + size) {
            for x in max(0, x0)..<min(width, x0 + size) { pixels[y * width + x] = UInt8(color) }
        }
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: Int, width w: Double, dashed: Bool) {
        let s = Double(scale), length = ((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1)).squareRoot() * s
        let steps = max(1, Int(length * 2)), size = max(1, Int((w * s).rounded()))
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            // Dashes of 4 units on, 3 off, as the SVG's dasharray.
            if dashed, (t * length / s).truncatingRemainder(dividingBy: 7) >= 4 { continue }
            let x = (x1 + t * (x2 - x1)) * s, y = (y1 + t * (y2 - y1)) * s
            fill(Int(x) - size / 2, Int(y) - size / 2, size, color: color)
        }
    }

    mutating func polyline(_ points: [(x: Double, y: Double)], color: Int, width: Double, dashed: Bool) {
        for (a, b) in zip(points, points.dropFirst()) { line(a.x, a.y, b.x, b.y, color: color, width: width, dashed: dashed) }
    }

    mutating func text(_ text: String, x: Double, y: Double, anchor: TextAnchor, color: Int) {
        let textWidth = Double(text.count * BitmapFont.advance - 1)
        let left = anchor == .start ? x : anchor == .middle ? x - textWidth / 2 : x - textWidth
        let top = Int(((y - Double(BitmapFont.height)) * Double(scale)).rounded()), origin = Int((left * Double(scale)).rounded())
        for (i, character) in text.enumerated() {
            guard let rows = BitmapFont.rows(character) else { continue }
            for (r, bits) in rows.enumerated() {
                for c in 0..<BitmapFont.width where bits & (1 << (BitmapFont.width - 1 - c)) != 0 {
                    fill(origin + (i * BitmapFont.advance + c) * scale, top + r * scale, scale, color: color)
                }
            }
        }
    }
}
