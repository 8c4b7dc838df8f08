/// Transactions: the forwarder commits a batch of rows and its journal position together.
extension PostgresConnection {
    /// Starts a transaction.
    /// - Throws: `PostgresError`.
    public func begin() throws(PostgresError) {
        try execute("BEGIN")
    }

    /// Commits the open transaction.
    ///
    /// If the connection is lost while COMMIT is in flight, whether it took effect is unknown
    /// (`.connectionLost`): read back what the transaction wrote to find out.
    /// - Throws: `PostgresError`; `.statementFailed` when the server rolled the transaction back
    ///   instead because a statement in it had failed.
    public func commit() throws(PostgresError) {
        let result = try execute("COMMIT")
        guard result.commandTag == "COMMIT" else {
            throw PostgresError(.statementFailed, message: "COMMIT ended in \(result.commandTag) because a statement in the transaction failed")
        }
    }

    /// Rolls the open transaction back.
    /// - Throws: `PostgresError`.
    public func rollback() throws(PostgresError) {
        try execute("ROLLBACK")
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// - Parameter body: the statements, run on this connection.
    /// - Returns: what `body` returns.
    /// - Throws: `PostgresError` from `body`, BEGIN or COMMIT (after rolling back).
    public func transaction<Value>(_ body: (PostgresConnection) throws(PostgresError) -> Value) throws(PostgresError) -> Value {
        try begin()
        do {
            let value = try body(self)
            try commit()
            return value
        } catch {
            // A lost connection has taken the transaction with it.
            if status == .connected { try? rollback() }
            throw error
        }
    }
}
