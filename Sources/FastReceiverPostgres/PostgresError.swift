/// A PostgreSQL operation failed: why, in a category a caller can act on, with the server's
/// SQLSTATE and primary message when the server said something.
///
/// Safe to log: the message comes from the server or libpq with every secret of the connection
/// string removed (see `PostgresConnectionString`), is one line, and is at most
/// `PostgresError.messageLimit` characters. It never holds the password or the connection string.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as far as a caller deciding what to do next cares.
    public enum Kind: String, Sendable, CaseIterable {
        /// libpq cannot use the connection string: malformed URI, unknown parameter, invalid value.
        case invalidConnectionString
        /// The database host name does not resolve.
        case hostNotFound
        /// Nothing accepted a connection at the database's address (refused, or no such socket).
        case connectionRefused
        /// No connection was made within `connect_timeout`.
        case connectTimeout
        /// TLS was required and could not be had: the server does not offer it, or the handshake
        /// or certificate check failed.
        case tlsFailed
        /// The server refused the credentials (SQLSTATE class 28, e.g. 28P01).
        case authenticationFailed
        /// The database named in the connection string does not exist (3D000).
        case databaseMissing
        /// The user lacks a privilege the statement or connection needs (42501).
        case permissionDenied
        /// The server is not taking work right now: starting up, shutting down, out of
        /// connections, memory or disk (classes 53, 57, 58). Retrying later can succeed.
        case serverUnavailable
        /// A connection could not be made for another reason; the message says which.
        case connectionFailed
        /// The connection broke: the server closed it, crashed or was stopped, or the network
        /// failed. Whether the statement in flight took effect is unknown.
        case connectionLost
        /// The server refused the statement for the data it carries: a value its type does not
        /// accept, such as `\u0000` in `jsonb` (classes 22, 23, and 54000; not 22P04, a
        /// malformed COPY stream). The same data will be refused again.
        case contentRefused
        /// The transaction lost a conflict with a concurrent one (class 40: serialization
        /// failure, deadlock) and was rolled back; running it again can succeed.
        case transactionConflict
        /// The server refused the statement for another reason (syntax, a missing table, …).
        case statementFailed
        /// The server's answer was not what the statement should produce.
        case unexpectedResult
    }

    /// The longest `message` kept, in characters. Server messages are short; this bounds the
    /// rare long one (a value quoted back) so a log line stays a line.
    public static let messageLimit = 200

    public let kind: Kind
    /// The server's five-character SQLSTATE (e.g. "28P01"), or nil when the failure was the
    /// client's or the network's.
    public let sqlState: String?
    /// The server's primary message, or libpq's own for a failure on the client side.
    public let message: String

    /// - Parameters:
    ///   - kind: the category.
    ///   - sqlState: the server's SQLSTATE, if it sent one.
    ///   - message: free of secrets already; cut to its first line and `messageLimit`.
    public init(_ kind: Kind, sqlState: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = Self.oneLine(message)
    }

    public var description: String {
        let state = sqlState.map { " (SQLSTATE \($0))" } ?? ""
        let detail = message.isEmpty ? "" : ": \(message)"
        return "\(kind.summary)\(state)\(detail)."
    }

    /// The first non-empty line of `text`, trimmed and bounded.
    static func oneLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) } ?? ""
        var trimmed = line.drop { $0.isWhitespace }
        while let last = trimmed.last, last.isWhitespace || last == "." { trimmed = trimmed.dropLast() }
        return trimmed.count > messageLimit ? String(trimmed.prefix(messageLimit - 1)) + "…" : String(trimmed)
    }
}

extension PostgresError.Kind {
    /// The category in a few words, the start of `PostgresError.description`.
    public var summary: String {
        switch self {
        case .invalidConnectionString: "The database connection string is not valid"
        case .hostNotFound: "The database host name does not resolve"
        case .connectionRefused: "Nothing accepted a connection at the database's address"
        case .connectTimeout: "Connecting to PostgreSQL timed out"
        case .tlsFailed: "A TLS connection to PostgreSQL could not be made"
        case .authenticationFailed: "PostgreSQL refused the credentials"
        case .databaseMissing: "The database does not exist"
        case .permissionDenied: "PostgreSQL denied a privilege the operation needs"
        case .serverUnavailable: "PostgreSQL is not taking work right now"
        case .connectionFailed: "Could not connect to PostgreSQL"
        case .connectionLost: "The connection to PostgreSQL was lost"
        case .contentRefused: "PostgreSQL refused the data"
        case .transactionConflict: "The transaction conflicted with a concurrent one"
        case .statementFailed: "PostgreSQL refused the statement"
        case .unexpectedResult: "PostgreSQL's answer was not the expected one"
        }
    }

    /// The category of a server error, from its SQLSTATE.
    ///
    /// - Parameter sqlState: five characters, e.g. "22P05".
    /// - Returns: the category; `.statementFailed` for a state with no more specific one.
    static func forServerError(_ sqlState: String) -> Self {
        switch sqlState {
        case "3D000": return .databaseMissing
        case "42501": return .permissionDenied
        case "54000": return .contentRefused
        // A malformed COPY stream is the client's fault, not the data's.
        case "22P04": return .statementFailed
        default: break
        }
        switch sqlState.prefix(2) {
        case "28": return .authenticationFailed
        case "22", "23": return .contentRefused
        case "40": return .transactionConflict
        case "08": return .connectionLost
        case "53", "57", "58": return .serverUnavailable
        default: return .statementFailed
        }
    }

    /// The category of a connection failure that libpq reports without a SQLSTATE, from the
    /// text of its (English) message. libpq has no error codes for these; an unrecognised text
    /// is `.connectionFailed`, whose message still says what happened.
    static func forClientFailure(_ text: String) -> Self {
        if text.contains("could not translate host name") { return .hostNotFound }
        if text.contains("timeout expired") { return .connectTimeout }
        if text.contains("SSL") || text.contains("certificate") { return .tlsFailed }
        if text.contains("Is the server running") || text.contains("Connection refused") { return .connectionRefused }
        if text.hasPrefix("invalid ") || text.contains("could not match") || text.contains("connection info string")
            || text.contains(" in URI") || text.contains("percent-encod")
        {
            return .invalidConnectionString
        }
        return .connectionFailed
    }
}
