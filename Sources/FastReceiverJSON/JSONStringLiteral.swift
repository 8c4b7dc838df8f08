/// Text written as a JSON string (RFC 8259 §7), for the JSON that FastReceiver prints: log
/// lines and `journal cat`.
package enum JSONStringLiteral {
    /// `text` between quotes, with `"`, `\` and every control character (U+0000–U+001F)
    /// escaped: always one valid JSON string, on one line, whatever the text holds.
    package static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
