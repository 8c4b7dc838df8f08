import FastReceiverPostgres
import Foundation
import Glibc
import PostgresTestSupport

/// Events/s into PostgreSQL for the two batch paths the forwarder can take, with DT-shaped events
/// of about 600 bytes in the table of DESIGN §8, one transaction per batch:
///
/// - copy:   binary COPY into a temporary table, then INSERT … SELECT … ON CONFLICT DO NOTHING
/// - arrays: INSERT … SELECT * FROM unnest($1::text[], …, $9::jsonb[]) ON CONFLICT DO NOTHING
///
/// each with every column sent ("sent"), or with `labels` and `data` taken by the server from the
/// body it has parsed already ("derived"; see `DTEventTable.Columns`).
///
/// Each path and batch size loads the events into an empty table ("insert"), then sends them
/// all again ("replay": every row a duplicate, as after a crash or a redelivery). "client %" is
/// this process's CPU time over the wall time (encoding and sending); "server µs/event" is the
/// CPU time of the connection's server process per event, read from /proc when the server runs
/// on this machine — unlike events/s, it hardly moves when other work shares the CPUs.
///
/// Run: FAST_RECEIVER_BENCHMARKS=1 swift run -c release --scratch-path .build-bench PostgresInsert
///          [--events N] [--batches 1000,5000] [--database-url URL]
/// Without --database-url it starts a PostgreSQL of its own on disk with fsync on (TestPostgres).

var events = 200_000
var batchSizes = [1_000, 5_000]
var databaseURL: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--events": events = arguments.popFirst().flatMap(Int.init) ?? events
    case "--batches": batchSizes = arguments.popFirst()?.split(separator: ",").compactMap { Int($0) } ?? batchSizes
    case "--database-url": databaseURL = arguments.popFirst()
    default:
        print("usage: PostgresInsert [--events N] [--batches 1000,5000] [--database-url URL]")
        exit(2)
    }
}

enum Path: String, CaseIterable {
    case copy, arrays
}

/// CPU seconds of process `pid` (user + system) from /proc, or nil when it is not visible here.
func cpuSeconds(ofProcess pid: Int) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 13,
          let user = Double(fields[11]), let system = Double(fields[12])
    else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}

struct Measurement {
    var inserted = 0
    var seconds = 0.0
    var clientCPU = 0.0
    var serverCPU: Double?
}

/// Sends `rows` in batches of `batchSize`, one transaction each.
func load(_ rows: [DTEventTable.Row], batchSize: Int, path: Path, table: DTEventTable, connection: PostgresConnection, serverPID: Int) throws -> Measurement {
    let cpu = cpuSeconds()
    let serverCPU = cpuSeconds(ofProcess: serverPID)
    let start = Date()
    var inserted = 0
    for first in stride(from: 0, to: rows.count, by: batchSize) {
        let batch = rows[first..<min(first + batchSize, rows.count)]
        inserted += try connection.transaction { connection throws(PostgresError) in
            switch path {
            case .copy: try table.insertByCopy(batch, on: connection)
            case .arrays: try table.insertByArrays(batch, on: connection)
            }
        }
    }
    let seconds = Date().timeIntervalSince(start)
    let serverSeconds = cpuSeconds(ofProcess: serverPID).flatMap { end in serverCPU.map { end - $0 } }
    return Measurement(inserted: inserted, seconds: seconds, clientCPU: cpuSeconds() - cpu, serverCPU: serverSeconds)
}

/// One figure set for a table row: events/s, client CPU share, server µs per event.
func figures(_ measurement: Measurement, events: Int) -> String {
    let server = measurement.serverCPU.map { String(format: "%6.1f", 1_000_000 * $0 / Double(events)) } ?? "   n/a"
    return String(format: "%9.0f %6.0f%%", Double(events) / measurement.seconds, 100 * measurement.clientCPU / measurement.seconds) + "  " + server
}

do {
    let server = databaseURL == nil ? try TestPostgres(durable: true) : nil
    let connection = try PostgresConnection(url: databaseURL ?? server?.url ?? "")
    let version = try connection.execute("SHOW server_version").text(row: 0, column: 0) ?? "?"
    let fsync = try connection.execute("SHOW fsync").text(row: 0, column: 0) ?? "?"
    guard let name = PostgresIdentifier("fast_receiver_insert_benchmark") else { exit(1) }
    let rows = DTEventTable.sampleRows(count: events)
    let averageBody = rows.reduce(0) { $0 + $1.body.utf8.count } / max(rows.count, 1)
    let serverPID = Int(try connection.execute("SELECT pg_backend_pid()").int64(row: 0, column: 0) ?? 0)
    print("PostgreSQL \(version) (fsync \(fsync)), \(events) events, body \(averageBody) bytes on average, one transaction per batch")
    print("                          ------------ insert -------------   ----- replay (duplicates) -----")
    print("path    columns  batch     events/s client  server µs/event        events/s client  server µs/event")
    var best: (String, Int, Double)?
    for batchSize in batchSizes {
        for columns in DTEventTable.Columns.allCases {
            for path in Path.allCases {
                let table = DTEventTable(name, columns: columns)
                try connection.execute("DROP TABLE IF EXISTS \(table.table.quoted)")
                try table.create(on: connection)
                _ = try? connection.execute("CHECKPOINT")
                let insert = try load(rows, batchSize: batchSize, path: path, table: table, connection: connection, serverPID: serverPID)
                guard insert.inserted == rows.count, try table.count(on: connection) == rows.count else {
                    print("\(path): inserted \(insert.inserted) of \(rows.count)")
                    exit(1)
                }
                let replay = try load(rows, batchSize: batchSize, path: path, table: table, connection: connection, serverPID: serverPID)
                guard replay.inserted == 0 else {
                    print("\(path): the replay inserted \(replay.inserted) rows")
                    exit(1)
                }
                let label = path.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + columns.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                print(label + String(format: "%6d  ", batchSize) + figures(insert, events: rows.count) + "          " + figures(replay, events: rows.count))
                let rate = Double(rows.count) / insert.seconds
                if rate > best?.2 ?? 0 { best = ("\(path.rawValue), \(columns.rawValue) columns", batchSize, rate) }
            }
        }
    }
    try connection.execute("DROP TABLE IF EXISTS \(name.quoted)")
    if let best { print("fastest: \(best.0), batches of \(best.1): \(Int(best.2)) events/s") }
} catch {
    print("PostgresInsert failed: \(error)")
    exit(1)
}
