internal import FastReceiver

/// One setting of a command: its flag, the environment variable it also reads, its default and
/// the values it accepts, together with the text the command line gave for it, if any.
///
/// A command declares each setting once, as an `@Option` of this type (see `Option+Setting.swift`);
/// the declaration builds the flag's `--help` line, and `value(in:)` reads the setting the same
/// way whichever command asks: the flag wins, then the variable (an empty one counts as unset),
/// then the default.
struct Setting<Value: SettingValue>: Sendable {
    /// The flag, with its dashes: `--port`.
    let flag: String
    /// The environment variable read when the flag is not given: `PORT`.
    let variable: String
    /// The value when neither the flag nor the variable is given.
    let defaultValue: Value
    /// What a value must also satisfy, beyond being read as `Value`.
    let rule: SettingRule<Value>?
    /// Whether the value may hold a secret, which no sentence then repeats.
    let isSecret: Bool
    /// The flag's text, when the command line gave one.
    let commandLine: String?

    /// The same setting as given on the command line as `text`.
    func given(_ text: String) -> Setting {
        Setting(flag: flag, variable: variable, defaultValue: defaultValue, rule: rule, isSecret: isSecret, commandLine: text)
    }

    /// The setting's value: from the flag, else from the variable in `environment`, else the default.
    /// - Throws: `ConfigurationError` naming the flag (and the variable, when the value came from
    ///   it) when the text is not a `Value` or breaks the rule.
    func value(in environment: [String: String]) throws(ConfigurationError) -> Value {
        let text: String
        let isFromEnvironment: Bool
        if let commandLine {
            (text, isFromEnvironment) = (commandLine, false)
        } else if let variableText = environment[variable], !variableText.isEmpty {
            (text, isFromEnvironment) = (variableText, true)
        } else {
            return defaultValue
        }
        guard let value = Value(settingText: text) else {
            throw refusal(text, mustBe: Value.requirement, isFromEnvironment: isFromEnvironment)
        }
        if let rule, !rule.accepts(value) {
            throw refusal(text, mustBe: rule.requirement, isFromEnvironment: isFromEnvironment)
        }
        return value
    }

    /// "--port must be between 0 and 65535; got 70000." or, for a value from the environment,
    /// "PORT must be a whole number for --port; got abc."
    private func refusal(_ text: String, mustBe requirement: String, isFromEnvironment: Bool) -> ConfigurationError {
        let subject = isFromEnvironment ? "\(variable) must \(requirement) for \(flag)" : "\(flag) must \(requirement)"
        return ConfigurationError(isSecret ? "\(subject)." : "\(subject); got \(text).")
    }
}

/// A condition a setting's value must meet, with the words that say so to an operator.
struct SettingRule<Value: SettingValue>: Sendable {
    /// Completes "--path must …": "start with / and hold no spaces, ? or #".
    let requirement: String
    let accepts: @Sendable (Value) -> Bool

    init(requirement: String, accepts: @escaping @Sendable (Value) -> Bool) {
        self.requirement = requirement
        self.accepts = accepts
    }

    /// For a setting with no default: the rule for its value once given.
    init<Wrapped>(requirement: String, accepts: @escaping @Sendable (Wrapped) -> Bool) where Value == Wrapped? {
        self.init(requirement: requirement) { $0.map(accepts) ?? true }
    }

    /// The value is between `range`'s bounds, both included.
    static func range(_ range: ClosedRange<Value>) -> SettingRule where Value: Comparable {
        SettingRule(requirement: between(range)) { range.contains($0) }
    }

    /// The value, when the setting has one, is between `range`'s bounds, both included.
    static func range<Wrapped: Comparable>(_ range: ClosedRange<Wrapped>) -> SettingRule where Value == Wrapped? {
        SettingRule(requirement: between(range), accepts: range.contains)
    }

    /// "be between 0.1 and 3600 seconds"
    private static func between<Bound: SettingValue>(_ range: ClosedRange<Bound>) -> String {
        "be between \(range.lowerBound.settingText) and \(range.upperBound.settingText)" + (Bound.unit.map { " \($0)" } ?? "")
    }
}
