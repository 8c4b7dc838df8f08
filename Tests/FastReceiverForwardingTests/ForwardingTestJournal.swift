import FastReceiverForwarding
import FastReceiverPostgres
import FastReceiverStorage
import FastReceiverTestSupport
import Foundation
import PostgresTestSupport

/// A data directory whose journal the test writes segment by segment, and the forwarding
/// settings to send it to a test's own PostgreSQL.
final class ForwardingTestJournal {
    let dataDirectory: String
    var journalDirectory: String { dataDirectory + "/journal" }

    init() throws {
        dataDirectory = NSTemporaryDirectory() + "fast-receiver-forward-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dataDirectory + "/journal", withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Writes a segment of `records` for `worker`, plain or gzip-compressed like a sealed one.
    @discardableResult
    func writeSegment(_ records: [JournalRecord], worker: Int = 0, sequence: Int, createdAt: Int64 = 1_767_225_600_000,
                      compressed: Bool = false) throws -> SegmentName {
        let name = SegmentName(createdAtMilliseconds: createdAt + Int64(sequence), worker: worker, sequence: sequence, isCompressed: compressed)
        let bytes = SegmentHeader.encode(createdAtMilliseconds: name.createdAtMilliseconds) + records.flatMap { $0.encoded() }
        let plain = journalDirectory + "/" + name.baseName
        _ = FileManager.default.createFile(atPath: plain, contents: Data(bytes))
        if compressed {
            let gzip = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "gzip -1 \"$0\"", plain])
            guard gzip.waitForExit(timeout: 60) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        return name
    }

    var catalog: JournalCatalog { JournalCatalog(dataDirectory: dataDirectory) }

    /// Settings that forward into `server` with short pauses, for tests.
    static func settings(_ server: TestPostgres, replica: String = "replica-a", table: String = "dt_events", url: String? = nil) throws -> ForwardingSettings {
        guard let identifier = PostgresIdentifier(table), let tables = ForwardingTables(identifier) else { throw CocoaError(.formatting) }
        var settings = ForwardingSettings(connectionString: PostgresConnectionString(url ?? server.url), tables: tables, replica: replica)
        settings.pollMilliseconds = 10
        settings.initialBackoffMilliseconds = 20
        settings.maxBackoffMilliseconds = 200
        settings.connectTimeoutSeconds = 3
        return settings
    }

    /// A DT-shaped temperature event numbered `number`, as the journal stores it.
    static func record(_ number: Int, receivedAt: Int64 = 1_767_225_600_000) -> JournalRecord {
        let id = "evt\(number)"
        let body = #"{"event":{"eventId":"\#(id)","targetName":"projects/proj1/devices/dev\#(number % 7)","eventType":"temperature","data":{"temperature":{"value":\#(20 + number % 5),"updateTime":"2026-01-01T00:00:00.123456789Z"}},"timestamp":"2026-01-01T00:00:00.123456789Z"},"labels":{"room":"r\#(number % 3)"},"metadata":{"deviceId":"dev\#(number % 7)","projectId":"proj1","deviceType":"temperature","productNumber":""}}"#
        return JournalRecord(receivedAtMilliseconds: receivedAt + Int64(number), eventID: Array(id.utf8), body: Array(body.utf8))
    }
}

extension PostgresConnection {
    /// The single value of a one-row, one-column query, as text.
    func value(_ sql: String, _ parameters: [PostgresValue] = []) throws -> String? {
        try execute(sql, parameters).text(row: 0, column: 0)
    }

    func count(_ sql: String, _ parameters: [PostgresValue] = []) throws -> Int64 {
        try execute(sql, parameters).int64(row: 0, column: 0) ?? -1
    }
}
