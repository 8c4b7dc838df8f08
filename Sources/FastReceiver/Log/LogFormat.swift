internal import FastReceiverJSON
internal import FastReceiverSystem
internal import Glibc
public import Logging

/// How log lines are written to standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-29T04:33:41.123Z info fast-receiver: message key=value …`
    case text
    /// One JSON object a line: `{"time":…,"level":…,"message":…,…metadata}`, for log shippers.
    case json

    /// Installs this format process-wide (call once, before logging).
    public func bootstrap(level: Logger.Level) {
        let format = self
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, format: format)
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes each event as one line with a single `write(2)`, so lines from worker threads never
/// interleave.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: LogFormat

    public init(label: String, format: LogFormat) {
        self.label = label
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let time = RFC3339.now()
        let line: String
        switch format {
        case .text:
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(time) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)\n"
        case .json:
            var object = "{\"time\":\(JSONStringLiteral.quoted(time)),\"level\":\(JSONStringLiteral.quoted(event.level.rawValue)),\"logger\":\(JSONStringLiteral.quoted(label)),\"message\":\(JSONStringLiteral.quoted(event.message.description))"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                object += ",\(JSONStringLiteral.quoted(key)):\(JSONStringLiteral.quoted(value.description))"
            }
            line = object + "}\n"
        }
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }
}
