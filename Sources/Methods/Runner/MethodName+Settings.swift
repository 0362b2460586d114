extension MethodName {
    /// The method of this name with `settings` as a result row or an artifact records them: the
    /// typed settings read back, so that their text and hash can be made again.
    /// - Throws: `TextFieldsError` or `DecodingError` when `settings` are not this method's (a key
    ///   missing, a value that does not parse, or settings of another variant, e.g. `site` with
    ///   task_agnostic=true).
    public func method(settings: SettingsText) throws -> any TaskMethod {
        let method: any TaskMethod
        switch kind {
        case .zeroShot, .icl: method = try settings.decode(PromptOnlyMethod.self)
        case .site: method = SoftInjectionMethod(settings: try settings.decode(SoftInjectionSettings.self))
        case .functionVector: method = try settings.decode(FunctionVectorMethod.self)
        case .taskVector: method = try settings.decode(TaskVectorMethod.self)
        case .ltv: method = LearnedTaskVectorMethod(try settings.decode(LTVSettings.self))
        }
        guard method.name == self else {
            throw TextFieldsError.badValue(key: "settings", value: settings.canonical, expected: "settings of \(self), not of \(method.name)")
        }
        return method
    }
}
