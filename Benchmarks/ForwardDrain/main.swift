import FastReceiverForwarding
import FastReceiverPostgres
import FastReceiverStorage
import Foundation
import Glibc
import PostgresTestSupport

/// How fast the forwarder drains a journal into PostgreSQL with the receiver idle: the figure
/// `fast-receiver forward --once` and a restarted replica's catch-up run at.
///
/// Writes a journal of DT-shaped temperature events (about 600 bytes, as `PostgresInsert`
/// sends) in 64 MiB segments, one worker, then forwards it into an empty table of a PostgreSQL
/// of its own (on disk, fsync on), and prints events/s and this process's CPU per event.
///
/// Run: FAST_RECEIVER_BENCHMARKS=1 swift run -c release --scratch-path .build-bench ForwardDrain
///          [--events N] [--batch ROWS] [--database-url URL]

var events = 500_000
var batchRows = ForwardingSettings(connectionString: PostgresConnectionString(""), tables: ForwardingTables(PostgresIdentifier("x")!)!, replica: "x").batchRows
var databaseURL: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--events": events = arguments.popFirst().flatMap(Int.init) ?? events
    case "--batch": batchRows = arguments.popFirst().flatMap(Int.init) ?? batchRows
    case "--database-url": databaseURL = arguments.popFirst()
    default:
        print("usage: ForwardDrain [--events N] [--batch ROWS] [--database-url URL]")
        exit(2)
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}

do {
    let server = databaseURL == nil ? try TestPostgres(durable: true) : nil
    let url = databaseURL ?? server?.url ?? ""
    let data = NSTemporaryDirectory() + "fast-receiver-drain-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: data + "/journal", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: data) }

    // The journal: segments of at most 64 MiB, as the server rotates them.
    var segment = SegmentHeader.encode(createdAtMilliseconds: 1_767_225_600_000)
    var sequence = 1
    var bodyBytes = 0
    func writeSegment() {
        let name = SegmentName(createdAtMilliseconds: 1_767_225_600_000 + Int64(sequence), worker: 0, sequence: sequence)
        _ = FileManager.default.createFile(atPath: data + "/journal/" + name.baseName, contents: Data(segment))
        sequence += 1
        segment = SegmentHeader.encode(createdAtMilliseconds: 1_767_225_600_000 + Int64(sequence))
    }
    for first in stride(from: 0, to: events, by: 10_000) {
        for row in DTEventTable.sampleRows(count: min(10_000, events - first), first: first) {
            let record = JournalRecord(receivedAtMilliseconds: row.receivedAtMicroseconds / 1000, eventID: Array(row.eventID.utf8), body: Array(row.body.utf8))
            bodyBytes += record.body.count
            segment += record.encoded()
            if segment.count >= 64 << 20 { writeSegment() }
        }
    }
    writeSegment()

    let connection = try PostgresConnection(url: url)
    let version = try connection.execute("SHOW server_version").text(row: 0, column: 0) ?? "?"
    let fsync = try connection.execute("SHOW fsync").text(row: 0, column: 0) ?? "?"
    try connection.execute("DROP TABLE IF EXISTS dt_events, dt_events_positions, dt_events_rejected")
    var settings = ForwardingSettings(connectionString: PostgresConnectionString(url), tables: ForwardingTables(PostgresIdentifier("dt_events")!)!,
                                      replica: "drain-benchmark")
    settings.batchRows = batchRows
    let forwarder = Forwarder(settings: settings, catalog: JournalCatalog(dataDirectory: data))
    let cpu = cpuSeconds()
    let started = Date()
    guard forwarder.drain(report: { _ in }) else {
        print("ForwardDrain: not drained: \(forwarder.lastFailure.map { "\($0)" } ?? "stopped")")
        exit(1)
    }
    let seconds = Date().timeIntervalSince(started)
    let clientCPU = cpuSeconds() - cpu
    let rows = try connection.execute("SELECT count(*) FROM dt_events").int64(row: 0, column: 0) ?? 0
    guard rows == Int64(events) else {
        print("ForwardDrain: \(rows) rows for \(events) events")
        exit(1)
    }
    print("PostgreSQL \(version) (fsync \(fsync)), \(events) events of \(bodyBytes / max(events, 1)) bytes, \(sequence - 1) segments, batches of \(batchRows)")
    print(String(format: "drained %.0f events/s in %.1f s; forwarder CPU %.1f µs/event (%.0f%% of one core)",
                 Double(events) / seconds, seconds, 1_000_000 * clientCPU / Double(events), 100 * clientCPU / seconds))
} catch {
    print("ForwardDrain failed: \(error)")
    exit(1)
}
