/// What the handler decided for a complete request.
public enum RequestOutcome: Sendable {
    /// Answer now.
    case respond(HTTPResponse)
    /// Answer once the journal record behind the ticket is durable (or has failed): the
    /// worker asks `resolve(_:)` again whenever storage reports progress.
    case await(DurabilityTicket)
}

/// What the transport asks of the layer that understands requests, once per request.
///
/// The server is generic over its handler so each worker calls its own handler directly,
/// without existential boxing on the request path.
public protocol RequestHandler: AnyObject {
    /// Called for every request once its head is complete, before its body is read.
    /// - Returns: the answer when the head alone decides it (a refusal: its body is never read
    ///   and the connection closes if a body follows), or nil to read the body and call `respond`.
    func headReceived(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> HTTPResponse?

    /// Handles a complete request whose head `headReceived` accepted.
    /// - Parameters:
    ///   - head: the request's head; offsets refer to `buffer`.
    ///   - body: the decoded body.
    ///   - buffer: the connection's read buffer.
    ///   - now: Unix time in milliseconds, read once per event-loop turn.
    func respond(to head: HTTPRequestHead, body: UnsafeRawBufferPointer, in buffer: UnsafeRawBufferPointer, nowMilliseconds: Int64) -> RequestOutcome

    /// The answer for a request that was waiting on `ticket`, or nil while it still waits.
    func resolve(_ ticket: DurabilityTicket) -> HTTPResponse?

    /// The connection waiting on `ticket` closed before its answer could be sent.
    func abandon(_ ticket: DurabilityTicket)
}
