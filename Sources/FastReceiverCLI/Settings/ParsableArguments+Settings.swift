internal import ArgumentParser
internal import FastReceiver
internal import Foundation

extension ParsableArguments {
    /// Reads every setting declared here, in option groups included, as `Setting.value(in:)`
    /// does, so that a command refuses a bad value before it starts.
    ///
    /// The settings are found the way ArgumentParser finds options, by reflecting on the
    /// properties, so a setting is checked because it is declared: there is no list to keep.
    /// - Throws: `ConfigurationError` for the first setting, in declaration order, whose value is bad.
    func checkSettings(in environment: [String: String]) throws(ConfigurationError) {
        for child in Mirror(reflecting: self).children {
            if let holder = child.value as? any SettingHolder {
                try holder.checkSettings(in: environment)
            }
        }
    }

    /// For `validate()`: checks every setting against the process environment and, for a bad
    /// value, refuses as every command does (one sentence on stderr, exit status 2).
    func validateSettings() throws {
        do {
            try checkSettings(in: ProcessInfo.processInfo.environment)
        } catch {
            throw ExitCode.refusal(printing: error)
        }
    }
}

/// A property that holds settings: a setting's `@Option`, or an `@OptionGroup`.
private protocol SettingHolder {
    func checkSettings(in environment: [String: String]) throws(ConfigurationError)
}

extension Option: SettingHolder where Value: SettingHolder {
    fileprivate func checkSettings(in environment: [String: String]) throws(ConfigurationError) {
        try wrappedValue.checkSettings(in: environment)
    }
}

extension Setting: SettingHolder {
    fileprivate func checkSettings(in environment: [String: String]) throws(ConfigurationError) {
        _ = try value(in: environment)
    }
}

extension OptionGroup: SettingHolder {
    fileprivate func checkSettings(in environment: [String: String]) throws(ConfigurationError) {
        try wrappedValue.checkSettings(in: environment)
    }
}
