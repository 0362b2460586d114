import Foundation
import Methods

/// An SVG of evaluation curves: one panel per condition, one line per estimator, squared error / d
/// on a log10 axis against the number of in-context examples.
enum RegressionPlot {
    static let colors = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
    /// Errors are clamped to [floor, ceiling] so a zero or a blow-up stays on the axis.
    static let floor = 1e-4, ceiling = 1e2

    static func svg(_ rows: [RegressionEvaluationRow], columns: Int = 3) -> String {
        var conditions = [String](), estimators = [String]()
        for row in rows {
            if !conditions.contains(row.condition) { conditions.append(row.condition) }
            if !estimators.contains(row.estimator) { estimators.append(row.estimator) }
        }
        let panelWidth = 340.0, panelHeight = 250.0, legendHeight = 40.0
        let gridRows = (conditions.count + columns - 1) / max(1, columns)
        let width = panelWidth * Double(columns), height = legendHeight + panelHeight * Double(max(1, gridRows))
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>

            """
        for (i, name) in estimators.enumerated() {
            let x = 20 + Double(i) * 170
            svg += "<line x1=\"\(x)\" y1=\"20\" x2=\"\(x + 24)\" y2=\"20\" stroke=\"\(colors[i % colors.count])\" stroke-width=\"2.5\"/>"
            svg += "<text x=\"\(x + 30)\" y=\"24\">\(escape(name))</text>\n"
        }
        for (index, condition) in conditions.enumerated() {
            let left = panelWidth * Double(index % columns), top = legendHeight + panelHeight * Double(index / columns)
            svg += panel(rows.filter { $0.condition == condition }, title: condition, estimators: estimators,
                         left: left, top: top, width: panelWidth, height: panelHeight)
        }
        return svg + "</svg>\n"
    }

    static func panel(_ rows: [RegressionEvaluationRow], title: String, estimators: [String],
                      left: Double, top: Double, width: Double, height: Double) -> String {
        let plotLeft = left + 58, plotRight = left + width - 14, plotTop = top + 26, plotBottom = top + height - 42
        let ks = rows.map(\.inContextExamples)
        let kMin = Double(ks.min() ?? 0), kMax = Double(max((ks.max() ?? 1), (ks.min() ?? 0) + 1))
        let errors = rows.map { min(max($0.squaredErrorPerDimension, floor), ceiling) }
        let lowDecade = (log10(errors.min() ?? floor)).rounded(.down), highDecade = max((log10(errors.max() ?? 1)).rounded(.up), lowDecade + 1)
        func x(_ k: Int) -> Double { plotLeft + (Double(k) - kMin) / (kMax - kMin) * (plotRight - plotLeft) }
        func y(_ error: Double) -> Double {
            let e = log10(min(max(error, floor), ceiling))
            return plotBottom - (e - lowDecade) / (highDecade - lowDecade) * (plotBottom - plotTop)
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var out = "<g>\n<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(top + 16))\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(title))</text>\n"
        out += "<rect x=\"\(f(plotLeft))\" y=\"\(f(plotTop))\" width=\"\(f(plotRight - plotLeft))\" height=\"\(f(plotBottom - plotTop))\" fill=\"none\" stroke=\"#444\"/>\n"
        for decade in stride(from: lowDecade, through: highDecade, by: 1) {
            let yy = y(pow(10, decade))
            out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(yy))\" x2=\"\(f(plotRight))\" y2=\"\(f(yy))\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(f(plotLeft - 4))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">1e\(Int(decade))</text>\n"
        }
        let step = max(1, Int((kMax - kMin) / 6))
        for k in stride(from: Int(kMin), through: Int(kMax), by: step) {
            out += "<text x=\"\(f(x(k)))\" y=\"\(f(plotBottom + 14))\" text-anchor=\"middle\">\(k)</text>\n"
        }
        out += "<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(plotBottom + 30))\" text-anchor=\"middle\">in-context examples</text>\n"
        out += "<text transform=\"translate(\(f(left + 14)),\(f((plotTop + plotBottom) / 2))) rotate(-90)\" text-anchor=\"middle\">squared error / d (log)</text>\n"
        for (i, name) in estimators.enumerated() {
            let points = rows.filter { $0.estimator == name }.sorted { $0.inContextExamples < $1.inContextExamples }
            guard !points.isEmpty else { continue }
            let path = points.map { "\(f(x($0.inContextExamples))),\(f(y($0.squaredErrorPerDimension)))" }.joined(separator: " ")
            out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colors[i % colors.count])\" stroke-width=\"1.8\"/>\n"
        }
        return out + "</g>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
