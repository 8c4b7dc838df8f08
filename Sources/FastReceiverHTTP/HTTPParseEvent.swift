/// What ``HTTPRequestParser/parse(_:count:)`` found in the bytes it was given.
public enum HTTPParseEvent: Sendable, Equatable {
    /// Everything given so far is consumed; call `parse` again once more bytes are appended.
    case needMoreData
    /// The header section is complete and ``HTTPRequestParser/head`` is valid.
    ///
    /// Emitted once per request, before any body byte is read, so the caller can answer
    /// `100 Continue`, refuse early (401, 413) or grow its buffer to
    /// ``HTTPRequestParser/requiredCapacity``. Call `parse` again to read the body.
    case head
    /// The whole request, body included, is in the buffer; ``HTTPRequestParser/head`` and
    /// ``HTTPRequestParser/body`` are valid until ``HTTPRequestParser/startNextRequest()``.
    case complete
    /// The request is refused: answer `error.status` and close the connection.
    ///
    /// The parser repeats this event until ``HTTPRequestParser/reset()``.
    case error(HTTPParseError)
}
