/// Errors raised while preparing or running a method: a setting outside its range, a split too
/// small for what the method samples, or a cached artifact that cannot be used.
///
/// Every case names the method, so a message alone tells the user what to fix.
public enum MethodError: Error, Equatable, CustomStringConvertible {
    /// A setting outside its allowed range, e.g. shots 0 for SITE's embedding prompts.
    case invalidSetting(method: String, setting: String, value: String, allowed: String)
    /// A split holds fewer items than the method needs for `purpose` (e.g. "10-shot prompts").
    case notEnoughItems(method: String, task: String, split: String, purpose: String, needed: Int, available: Int)
    /// A cached artifact whose settings match but whose files cannot be read (truncated, not
    /// safetensors, a tensor missing).
    case corruptArtifact(method: String, path: String, reason: String)
    /// A cached artifact tensor whose shape does not fit the model (another model's artifact, or
    /// a file changed by hand); `found` is nil when the tensor is missing.
    case artifactShape(method: String, path: String, tensor: String, expected: [Int], found: [Int]?)

    public var description: String {
        switch self {
        case let .invalidSetting(method, setting, value, allowed):
            return "\(method): setting \(setting) = \(value) is invalid; allowed: \(allowed)"
        case let .notEnoughItems(method, task, split, purpose, needed, available):
            return "\(method): task \(task) has \(available) \(split) items, \(needed) needed for \(purpose)"
        case let .corruptArtifact(method, path, reason):
            return "\(method): cached artifact \(path) is corrupt (\(reason)); delete it to prepare again"
        case let .artifactShape(method, path, tensor, expected, found):
            let what = found.map { "shape \($0)" } ?? "no such tensor"
            return "\(method): cached artifact \(path): tensor \(tensor) has \(what), expected \(expected) for this model; delete it to prepare again"
        }
    }
}

/// Checks of user-given settings, each throwing `MethodError.invalidSetting` with the range.
struct SettingCheck {
    /// The method's name, or what else the settings belong to (e.g. "evaluation").
    let method: String

    init(method: String) { self.method = method }
    init(method: MethodName) { self.method = method.description }

    /// `value` must be at least `minimum`.
    func atLeast(_ setting: String, _ value: Int, _ minimum: Int) throws {
        guard value >= minimum else {
            throw MethodError.invalidSetting(method: method, setting: setting, value: "\(value)", allowed: "≥ \(minimum)")
        }
    }

    /// `value` must lie in `range`.
    func within(_ setting: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw MethodError.invalidSetting(method: method, setting: setting, value: "\(value)",
                                             allowed: "\(range.lowerBound) ... \(range.upperBound)")
        }
    }

    /// A learning rate: positive and finite.
    func positiveFinite(_ setting: String, _ value: Float) throws {
        guard value > 0 && value.isFinite else {
            throw MethodError.invalidSetting(method: method, setting: setting, value: "\(value)", allowed: "finite and > 0")
        }
    }

    /// A split of `available` items must hold at least `needed` for `purpose`.
    func items(_ split: String, of task: String, available: Int, needed: Int, for purpose: String) throws {
        guard available >= needed else {
            throw MethodError.notEnoughItems(method: method, task: task, split: split, purpose: purpose,
                                             needed: needed, available: available)
        }
    }
}

extension MethodError {
    /// The errors of a method, named by its `MethodName`.
    static func invalidSetting(method: MethodName, setting: String, value: String, allowed: String) -> MethodError {
        .invalidSetting(method: method.description, setting: setting, value: value, allowed: allowed)
    }

    static func corruptArtifact(method: MethodName, path: String, reason: String) -> MethodError {
        .corruptArtifact(method: method.description, path: path, reason: reason)
    }

    static func artifactShape(method: MethodName, path: String, tensor: String, expected: [Int], found: [Int]?) -> MethodError {
        .artifactShape(method: method.description, path: path, tensor: tensor, expected: expected, found: found)
    }
}
