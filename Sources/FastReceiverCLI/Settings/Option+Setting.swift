internal import ArgumentParser

extension Option {
    /// Declares a setting: everything about it in one place.
    ///
    /// ```swift
    /// @Option("--port", "PORT", default: defaults.server.port, rule: .range(0...65535), help: "TCP port.", valueName: "port")
    /// var port: Setting<Int>
    /// ```
    ///
    /// The flag's `--help` line states the variable, the choices (for a choice among named
    /// values) and the default: `TCP port. [PORT] (default: 8080)`. The flag's text is kept as
    /// given; `Setting.value(in:)` reads it, so that a bad value is refused by the same sentence
    /// from the flag as from the variable.
    /// - Parameters:
    ///   - flag: the flag, with its dashes.
    ///   - variable: the environment variable read when the flag is not given.
    ///   - defaultValue: the value when neither is given; nil (for an optional `Value`) when the
    ///     setting has none.
    ///   - defaultText: what `--help` says the default is, when it is not simply the value (one
    ///     that depends on the machine, say).
    ///   - rule: what a value must also satisfy, such as a range.
    ///   - isSecret: the value may hold a secret: `--help` shows no default, and a refusal does
    ///     not repeat the value.
    ///   - help: one or more sentences saying what the setting does.
    ///   - discussion: more, shown below the flag's line.
    ///   - valueName: the value's name in the flag's synopsis: `<port>`.
    init<Read: SettingValue>(
        _ flag: String, _ variable: String, default defaultValue: Read, defaultText: String? = nil, rule: SettingRule<Read>? = nil,
        isSecret: Bool = false, help: String, discussion: String? = nil, valueName: String
    ) where Value == Setting<Read> {
        precondition(flag.hasPrefix("--"), "A setting's flag is written with its dashes: --\(flag).")
        let setting = Setting(flag: flag, variable: variable, defaultValue: defaultValue, rule: rule, isSecret: isSecret, commandLine: nil)
        let shownDefault = isSecret ? "" : defaultText ?? defaultValue.settingText
        let notes =
            (Read.choices.isEmpty ? [] : ["values: \(Read.choices.joined(separator: ", "))"])
            + (shownDefault.isEmpty ? [] : ["default: \(shownDefault)"])
        let abstract = "\(help) [\(variable)]" + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))")
        self.init(
            wrappedValue: setting,
            name: .customLong(String(flag.dropFirst(2))),
            help: ArgumentHelp(abstract, discussion: discussion, valueName: valueName),
            completion: Read.choices.isEmpty ? nil : .list(Read.choices),
            transform: { setting.given($0) }
        )
    }
}
