/// Public: the conformances of the library's choices to `ExpressibleByArgument` below are.
public import ArgumentParser
internal import FastReceiver
internal import FastReceiverStorage
internal import Foundation
internal import Logging

/// A type a setting is read as. A flag and an environment variable are read by the same rules, so
/// that a value means the same wherever it is given.
protocol SettingValue: Sendable {
    /// Reads `text`, or nil when it is not a value of this type.
    init?(settingText text: String)
    /// The value as it would be given: for `--help` and for stating a range.
    var settingText: String { get }
    /// What text must be to be read, completing "--port must …": "be a whole number".
    static var requirement: String { get }
    /// Every value there is, for `--help` and shell completion; empty when they are not few.
    static var choices: [String] { get }
    /// The unit a range of this type is stated in, if it needs one: "seconds".
    static var unit: String? { get }
}

extension SettingValue {
    static var choices: [String] { [] }
    static var unit: String? { nil }
}

extension Int: SettingValue {}
extension Int64: SettingValue {}

extension SettingValue where Self: FixedWidthInteger {
    /// Surrounding spaces are ignored, as an environment file easily leaves them.
    init?(settingText text: String) {
        self.init(text.trimmingCharacters(in: .whitespaces))
    }

    var settingText: String { String(self) }
    static var requirement: String { "be a whole number" }
}

extension String: SettingValue {
    init?(settingText text: String) {
        self = text
    }

    var settingText: String { self }
    static var requirement: String { "be text" }
}

/// A setting with no default: nil unless the flag or the variable gives it.
extension Optional: SettingValue where Wrapped: SettingValue {
    init?(settingText text: String) {
        guard let value = Wrapped(settingText: text) else { return nil }
        self = .some(value)
    }

    var settingText: String { map(\.settingText) ?? "" }
    static var requirement: String { Wrapped.requirement }
    static var choices: [String] { Wrapped.choices }
    static var unit: String? { Wrapped.unit }
}

/// A choice among named values; `ExpressibleByArgument` reads them and lists them in `--help`.
extension SettingValue where Self: ExpressibleByArgument & CaseIterable {
    init?(settingText text: String) {
        self.init(argument: text)
    }

    var settingText: String { defaultValueDescription }
    static var requirement: String { "be one of \(choices.joined(separator: ", "))" }
    static var choices: [String] { allValueStrings }
}

extension Durability: ExpressibleByArgument, SettingValue {}
extension LogFormat: ExpressibleByArgument, SettingValue {}
// swift-format-ignore: AvoidRetroactiveConformances
// swift-log's levels are the choice; neither swift-log nor ArgumentParser knows the other, so
// only an executable that uses both can make one readable by the other.
extension Logger.Level: @retroactive ExpressibleByArgument, SettingValue {}

/// A span of time given in seconds, fractions allowed: `--header-timeout 2.5`.
struct Seconds: SettingValue, Comparable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    /// The longest span read: far beyond any setting's range, and small enough that
    /// `milliseconds` never overflows.
    private static let longest = 1e12

    let value: Double

    init(floatLiteral value: Double) {
        self.value = value
    }

    init(integerLiteral value: Int) {
        self.value = Double(value)
    }

    init(milliseconds: Int) {
        value = Double(milliseconds) / 1000
    }

    init?(settingText text: String) {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, abs(value) <= Self.longest else {
            return nil
        }
        self.value = value
    }

    /// The span in whole milliseconds, rounded to the nearest.
    var milliseconds: Int { Int((value * 1000).rounded()) }

    /// `10` for whole seconds, `0.1` otherwise.
    var settingText: String { value == value.rounded() ? String(Int(value)) : String(value) }
    static var requirement: String { "be a number of seconds" }
    static var unit: String? { "seconds" }

    static func < (lhs: Seconds, rhs: Seconds) -> Bool {
        lhs.value < rhs.value
    }
}
