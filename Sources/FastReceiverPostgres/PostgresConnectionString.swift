internal import CLibPQ

/// A libpq connection string — a URI such as `postgres://user:password@host:5432/db?sslmode=require`
/// or `key=value` pairs — that knows which parts of itself are secret.
///
/// libpq parses the string (every parameter it documents works); this type only keeps the
/// password out of everything the service prints: `description` names host, port, database,
/// user and sslmode with the password hidden, and `redact(_:)` removes the string and its
/// password from any text libpq produces, some of which quotes the string verbatim (a malformed
/// URI) or a piece of it (a port or host name cut out of a password with an unencoded `/` or `@`).
///
/// Printing it in any way (`description`, `debugDescription`, `dump`) shows only the redacted form.
public struct PostgresConnectionString: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The string as given. Private: nothing outside this module prints it.
    let text: String
    /// Every spelling of the password found in the string, longest first.
    private(set) var secrets: [String]
    /// Whether libpq's parse can disagree with the URI's evident user-info part (an unencoded
    /// `/` or `@` in the password), so that libpq may put a piece of the password in a host,
    /// port or database name. Then none of libpq's connection messages is shown.
    let isAmbiguous: Bool
    /// The parameters as libpq reads them, nil when it cannot parse the string.
    private let parameters: [String: String]?
    /// What libpq says is wrong with the string, as libpq wrote it; nil when it parses.
    private let libpqParseFailure: String?

    /// What libpq says is wrong with the string, safe to log; nil when it parses.
    public var parseFailure: String? { libpqParseFailure.map(safeMessage) }

    /// - Parameter text: the connection string, as `DATABASE_URL` holds it.
    public init(_ text: String) {
        self.text = text
        var secrets = Self.rawPasswords(in: text)
        isAmbiguous = Self.hasAmbiguousUserInfo(text)
        var failure: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(text, &failure) {
            var parameters: [String: String] = [:]
            var option = options
            while let keyword = option.pointee.keyword {
                if let value = option.pointee.val { parameters[String(cString: keyword)] = String(cString: value) }
                option += 1
            }
            PQconninfoFree(options)
            if let password = parameters["password"] { secrets.append(password) }
            self.parameters = parameters
            libpqParseFailure = nil
        } else {
            parameters = nil
            // libpq leaves errmsg NULL when it ran out of memory.
            libpqParseFailure = failure.map { String(cString: $0) } ?? "libpq could not parse it"
            if let failure { PQfreemem(failure) }
        }
        self.secrets = Self.normalized(secrets)
    }

    /// Host, port, database, user and sslmode, with the password shown as `***` when one is set,
    /// e.g. `host=db.example.com port=5432 dbname=events user=fr password=*** sslmode=require`.
    /// Safe to log.
    public var description: String {
        guard let parameters else { return "an invalid connection string (\(parseFailure ?? "unparsable"))" }
        if isAmbiguous { return "a connection URI where \(Self.ambiguity)" }
        var parts: [String] = []
        for keyword in ["host", "hostaddr", "port", "dbname", "user"] {
            if let value = parameters[keyword], !value.isEmpty { parts.append("\(keyword)=\(redact(value))") }
        }
        if let password = parameters["password"], !password.isEmpty { parts.append("password=***") }
        if let mode = parameters["sslmode"], !mode.isEmpty { parts.append("sslmode=\(redact(mode))") }
        return parts.isEmpty ? "libpq's defaults" : parts.joined(separator: " ")
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }

    /// `text` with the whole connection string and every spelling of its password replaced.
    ///
    /// - Parameter text: a message from libpq about this connection.
    /// - Returns: the message, safe to log.
    func redact(_ text: String) -> String {
        var result = self.text.isEmpty ? text : text.replacing(self.text, with: "<connection string>")
        for secret in secrets { result = result.replacing(secret, with: "***") }
        return result
    }

    /// A message libpq wrote while parsing the string or connecting, safe to log: redacted, or
    /// withheld whole when the string is ambiguous (any piece of it may hold a piece of the password).
    func safeMessage(_ text: String) -> String {
        isAmbiguous ? "libpq's message is withheld because \(Self.ambiguity)" : redact(text)
    }

    private static let ambiguity = "the URI's password holds an unencoded '/' or '@' (percent-encode them as %2F and %40)"

    /// Adds a password libpq used that the string did not spell (from PGPASSWORD or a password file).
    mutating func addSecret(_ secret: String) {
        secrets = Self.normalized(secrets + [secret])
    }

    /// Longest first, so that a password containing another secret is replaced whole.
    private static func normalized(_ secrets: [String]) -> [String] {
        Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }
}

extension PostgresConnectionString {
    private static let uriPrefixes = ["postgresql://", "postgres://"]

    /// The part of a URI after its scheme, or nil for a `key=value` string.
    private static func uriBody(_ text: String) -> Substring? {
        for prefix in uriPrefixes where text.hasPrefix(prefix) { return text.dropFirst(prefix.count) }
        return nil
    }

    /// The user-info part as a reader sees it: everything before the last `@`.
    private static func userInfo(_ text: String) -> Substring? {
        guard let body = uriBody(text), let at = body.lastIndex(of: "@") else { return nil }
        return body[..<at]
    }

    /// Whether the user-info part holds a `/` or a second `@`, which libpq takes as the end of
    /// the host or of the user-info, so that a piece of the password lands elsewhere.
    private static func hasAmbiguousUserInfo(_ text: String) -> Bool {
        guard let info = userInfo(text) else { return false }
        return info.contains("/") || info.contains("@")
    }

    /// The password as written, found without libpq (whose parse may fail or disagree): in a URI
    /// the user-info after its first `:`, and any `password=` query parameter; in a `key=value`
    /// string the `password` value. Each both as written and percent-decoded.
    private static func rawPasswords(in text: String) -> [String] {
        var found: [String] = []
        if uriBody(text) != nil {
            if let info = userInfo(text), let colon = info.firstIndex(of: ":") {
                found.append(String(info[info.index(after: colon)...]))
            }
            if let query = text.firstIndex(of: "?") {
                for pair in text[text.index(after: query)...].split(separator: "&") where pair.hasPrefix("password=") {
                    found.append(String(pair.dropFirst("password=".count)))
                }
            }
            found += found.compactMap(percentDecoded)
        } else if let match = text.firstMatch(of: /password\s*=\s*(?:'((?:[^'\\]|\\.)*)'?|(\S+))/) {
            if let quoted = match.1 {
                found.append(String(quoted))
                found.append(String(quoted.replacing(/\\(.)/) { $0.1 }))
            }
            if let bare = match.2 { found.append(String(bare)) }
        }
        return found
    }

    /// `%XX` sequences decoded; nil when there is none or one is malformed or not UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        guard text.contains("%") else { return nil }
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = utf8.popFirst().flatMap(hexValue), let low = utf8.popFirst().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
