import Foundation

/// The LTV paper's regression figure: raw squared error against the number of in-context
/// examples k, one panel per condition, one line per method and baseline (baselines dashed),
/// with the model's trained length marked.
enum PromptSteeringFigure {
    /// Series in drawing order: (method in the CSV, legend label, palette colour, dashed).
    static let series: [(method: String, label: String, color: Int, dashed: Bool)] = [
        ("transformer", "transformer", 4, false), ("fv", "+fv", 5, false), ("ltv", "+ltv", 6, false), ("site", "+site", 7, false),
        ("least-squares", "least squares", 8, true), ("3-nearest-neighbours", "3-nn", 9, true), ("averaging", "averaging", 10, true),
    ]
    static let panelWidth = 340.0, panelHeight = 250.0, legendHeight = 34.0, columns = 3

    /// The figure's size in units.
    static func size(conditions: Int) -> (width: Int, height: Int) {
        (Int(panelWidth) * columns, Int(legendHeight + panelHeight * Double((conditions + columns - 1) / columns)))
    }

    /// Draws every condition of `rows` (conditions in first-seen order).
    /// - Parameters:
    ///   - trainedExamples: k of the longest training prompt of the model (K − 1), marked by a dashed line.
    ///   - ceiling: errors above it are drawn at the top edge (the panel's axis ends at the smaller
    ///     of it and the largest error).
    static func draw<Canvas: PlotCanvas>(_ rows: [PromptSteeringResultRow], trainedExamples: Int, ceiling: Double, on canvas: inout Canvas) {
        var conditions = [String]()
        for row in rows where !conditions.contains(row.condition) { conditions.append(row.condition) }
        for (i, s) in series.enumerated() {
            let x = 12 + Double(i) * 145
            canvas.line(x, 18, x + 22, 18, color: s.color, width: 2, dashed: s.dashed)
            canvas.text(s.label, x: x + 27, y: 22, anchor: .start, color: PlotPalette.ink)
        }
        for (index, condition) in conditions.enumerated() {
            let left = panelWidth * Double(index % columns), top = legendHeight + panelHeight * Double(index / columns)
            panel(rows.filter { $0.condition == condition }, title: condition, trainedExamples: trainedExamples, ceiling: ceiling,
                  left: left, top: top, on: &canvas)
        }
    }

    /// A round axis end at or above `value`: 1, 2, 2.5 or 5 times a power of ten.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let power = pow(10, (log10(value)).rounded(.down))
        return [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= value * (1 - 1e-12) } ?? 10 * power
    }

    static func panel<Canvas: PlotCanvas>(
        _ rows: [PromptSteeringResultRow], title: String, trainedExamples: Int, ceiling: Double, left: Double, top: Double, on canvas: inout Canvas
    ) {
        let plotLeft = left + 44, plotRight = left + panelWidth - 14, plotTop = top + 30, plotBottom = top + panelHeight - 34
        let kMax = Double(max(1, rows.map(\.inContextExamples).max() ?? 1))
        let yMax = niceCeiling(min(ceiling, rows.map(\.squaredError).filter(\.isFinite).max() ?? 1))
        func x(_ k: Int) -> Double { plotLeft + Double(k) / kMax * (plotRight - plotLeft) }
        func y(_ e: Double) -> Double { plotBottom - min(max(e, 0), yMax) / yMax * (plotBottom - plotTop) }
        canvas.text(title, x: (plotLeft + plotRight) / 2, y: top + 14, anchor: .middle, color: PlotPalette.ink)
        canvas.text("squared error", x: left + 6, y: plotTop - 6, anchor: .start, color: PlotPalette.frame)
        for i in 0...4 {
            let value = yMax * Double(i) / 4, yy = y(value)
            canvas.line(plotLeft, yy, plotRight, yy, color: PlotPalette.grid, width: 1, dashed: false)
            canvas.text(String(format: value < 10 ? "%.1f" : "%.0f", value), x: plotLeft - 4, y: yy + 3, anchor: .end, color: PlotPalette.ink)
        }
        let step = max(1, Int((kMax / 4).rounded(.up)))
        for k in stride(from: 0, through: Int(kMax), by: step) {
            canvas.text("\(k)", x: x(k), y: plotBottom + 13, anchor: .middle, color: PlotPalette.ink)
        }
        canvas.text("in-context examples k", x: (plotLeft + plotRight) / 2, y: plotBottom + 27, anchor: .middle, color: PlotPalette.frame)
        if Double(trainedExamples) <= kMax {
            canvas.line(x(trainedExamples), plotTop, x(trainedExamples), plotBottom, color: PlotPalette.frame, width: 1, dashed: true)
            canvas.text("trained", x: x(trainedExamples) + 3, y: plotTop + 10, anchor: .start, color: PlotPalette.frame)
        }
        for s in series {
            let points = rows.filter { $0.method == s.method }.sorted { $0.inContextExamples < $1.inContextExamples }
            guard !points.isEmpty else { continue }
            let path = points.map { (x: x($0.inContextExamples), y: y($0.squaredError)) }
            if path.count == 1 {
                canvas.line(path[0].x - 2, path[0].y, path[0].x + 2, path[0].y, color: s.color, width: 2, dashed: false)
            } else {
                canvas.polyline(path, color: s.color, width: 1.6, dashed: s.dashed)
            }
        }
        for (a, b) in [((plotLeft, plotTop), (plotRight, plotTop)), ((plotRight, plotTop), (plotRight, plotBottom)),
                       ((plotRight, plotBottom), (plotLeft, plotBottom)), ((plotLeft, plotBottom), (plotLeft, plotTop))] {
            canvas.line(a.0, a.1, b.0, b.1, color: PlotPalette.frame, width: 1, dashed: false)
        }
    }

    /// The figure as SVG text and PNG bytes (2 pixels per unit).
    static func render(_ rows: [PromptSteeringResultRow], trainedExamples: Int, ceiling: Double) -> (svg: String, png: [UInt8]) {
        var conditions = Set<String>()
        for row in rows { conditions.insert(row.condition) }
        let (w, h) = size(conditions: conditions.count)
        var svg = SVGCanvas(width: w, height: h)
        draw(rows, trainedExamples: trainedExamples, ceiling: ceiling, on: &svg)
        var raster = RasterCanvas(width: w, height: h, scale: 2)
        draw(rows, trainedExamples: trainedExamples, ceiling: ceiling, on: &raster)
        return (svg.document, raster.png)
    }
}
