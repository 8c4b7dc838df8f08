public import FastReceiverHTTP

/// What the handler decided for a complete request.
public enum RequestOutcome<Ticket> {
    /// Answer now.
    case respond(HTTPResponse)
    /// Answer once what `ticket` stands for has settled: the worker asks `resolve(_:)` again
    /// whenever its wake signal reports progress.
    case await(Ticket)
}

extension RequestOutcome: Sendable where Ticket: Sendable {}

/// What the handler decided from a request's head alone.
public enum HeadDecision<Context> {
    /// Read the body, if any, then call `respond` with this context.
    case accept(Context)
    /// Answer this without reading the body: a request that has one is answered at once and its
    /// connection closed, so the body is never buffered.
    case refuse(HTTPResponse)
}

/// What the transport asks of the layer that understands requests, once per request.
///
/// The server is generic over its handler so each worker calls its own handler directly,
/// without existential boxing on the request path.
public protocol RequestHandler: AnyObject, SendableMetatype {
    /// What the handler learns from a head and needs again once the body has arrived. The
    /// connection keeps it in between, so it should be a small value that owns no memory.
    associatedtype RequestContext

    /// What an answer that cannot be given at once waits on. The connection keeps it until
    /// `resolve` returns the answer, or hands it to `abandon` if the client leaves first.
    associatedtype Ticket

    /// Called for every request once its head is complete, before any of its body is read.
    /// - Parameters:
    ///   - head: the request's head; offsets refer to `buffer`.
    ///   - buffer: the connection's read buffer.
    ///   - nowMilliseconds: Unix time in milliseconds, read once per event-loop turn.
    /// - Returns: a refusal, or the context to hand to `respond` once the request is complete.
    func headReceived(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer, nowMilliseconds: Int64) -> HeadDecision<RequestContext>

    /// Handles a complete request whose head `headReceived` accepted.
    /// - Parameters:
    ///   - head: the request's head; offsets refer to `buffer`.
    ///   - context: what `headReceived` returned for this request.
    ///   - body: the decoded body.
    ///   - buffer: the connection's read buffer.
    ///   - nowMilliseconds: Unix time in milliseconds, read once per event-loop turn.
    func respond(to head: HTTPRequestHead, context: RequestContext, body: UnsafeRawBufferPointer, in buffer: UnsafeRawBufferPointer,
                 nowMilliseconds: Int64) -> RequestOutcome<Ticket>

    /// The answer for a request that was waiting on `ticket`, or nil while it still waits.
    func resolve(_ ticket: Ticket) -> HTTPResponse?

    /// The connection waiting on `ticket` closed before its answer could be sent.
    func abandon(_ ticket: Ticket)
}
