internal import ArgumentParser
internal import FastReceiver
internal import FastReceiverForwarding
internal import FastReceiverPostgres
internal import FastReceiverStorage
internal import FastReceiverSystem
internal import Foundation

/// `fast-receiver journal`: read what the server stored.
struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Read the events stored in the journal.",
        subcommands: [Cat.self, Stats.self]
    )

    struct Cat: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every stored event, one JSON object a line, in storage order.",
            discussion: #"""
                Each line is {"receivedAt":"<RFC 3339>","eventId":"<id>","event":<the stored body>}. \#
                eventId is a JSON string (escaped per RFC 8259), or null for an event stored without \#
                one. Where a field cannot be written faithfully as shown, it is null and followed by \#
                the stored value: "receivedAtMilliseconds":<Unix ms> for a time outside years \#
                0000-9999, "rawEventId":"<base64>" for an id whose bytes are not UTF-8, \#
                "rawBody":"<base64>" for a body that is not a JSON object. Corrupt records are skipped \#
                (as the server's start-up recovery does) and reported on stderr.
                """#
        )

        @OptionGroup var location: JournalLocation
        @Flag(help: "Keep printing events as they are stored, until SIGINT, SIGTERM or SIGHUP (then exit 0).")
        var follow = false

        func validate() throws {
            try validateSettings()
        }

        func run() throws {
            let catalog = try location.catalog()
            guard FileManager.default.fileExists(atPath: catalog.directory) || follow else {
                FileHandle.standardError.write(Data("fast-receiver: no journal at \(catalog.directory); check --data-dir.\n".utf8))
                throw ExitCode(2)
            }
            // SIGINT, SIGTERM and SIGHUP come through a signalfd, so that they end the loop
            // between two writes and never cut a line.
            let signals = follow ? try LifecycleSignals() : nil
            var progress: [String: JournalCatalog.Progress] = [:]
            var output = LineOutput()
            while true {
                let names = catalog.segments()
                let live = JournalCatalog.liveSegments(among: names)
                for name in names {
                    var state = progress[name.baseName] ?? JournalCatalog.Progress()
                    catalog.read(name, isLive: live.contains(name), progress: &state, problem: { problem in
                        output.flush()
                        FileHandle.standardError.write(Data("fast-receiver: \(name): \(problem)\n".utf8))
                    }) { payload in
                        output.append(JournalCatalog.line(for: JournalRecord.decode(payload: payload)))
                    }
                    progress[name.baseName] = state
                }
                output.flush()
                guard let signals else { return }
                if signals.next(waitingAtMost: 200) != nil { return }
            }
        }
    }

    /// Standard output in pieces of about 1 MiB, so that a large segment is neither held whole
    /// nor written a line at a time.
    struct LineOutput {
        private var pending: [UInt8] = []

        mutating func append(_ line: String) {
            pending += line.utf8
            pending.append(0x0A)
            if pending.count >= 1 << 20 { flush() }
        }

        mutating func flush() {
            guard !pending.isEmpty else { return }
            FileHandle.standardOutput.write(Data(pending))
            pending.removeAll(keepingCapacity: true)
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Summarise the journal: segments, records, bytes, repairs, time span.")

        @OptionGroup var location: JournalLocation
        @OptionGroup(title: "Forwarding to PostgreSQL (with a database, each replica's forwarded position is shown too)")
        var forwarding: ForwardingFlags

        func validate() throws {
            try validateSettings()
        }

        func run() throws {
            let catalog = try location.catalog()
            guard FileManager.default.fileExists(atPath: catalog.directory) else {
                FileHandle.standardError.write(Data("fast-receiver: no journal at \(catalog.directory); check --data-dir.\n".utf8))
                throw ExitCode(2)
            }
            let settings: ForwardingSettings?
            do {
                settings = try forwarding.settings(environment: ProcessInfo.processInfo.environment)
            } catch {
                throw ExitCode.refusal(printing: error)
            }
            let stats = catalog.stats()
            func time(_ milliseconds: Int64?) -> String {
                milliseconds.map(JournalCatalog.timeText) ?? "-"
            }
            print("""
                journal:              \(catalog.directory)
                segments:             \(stats.segments) (\(stats.compressedSegments) compressed, \(stats.segmentsNotRead) not read)
                records:              \(stats.records)
                bytes on disk:        \(stats.bytesOnDisk)
                torn tails pending:   \(stats.tornTails)
                torn tails repaired:  \(stats.tornTailsRepaired)
                corrupt regions:      \(stats.corruptRegions)
                oldest:               \(time(stats.oldestMilliseconds))
                newest:               \(time(stats.newestMilliseconds))
                """)
            if let settings { print(Self.forwardingReport(settings, catalog: catalog)) }
        }

        /// Each replica's forwarded position in the table, and what this journal still holds
        /// for the replica named by `--replica`.
        static func forwardingReport(_ settings: ForwardingSettings, catalog: JournalCatalog) -> String {
            var lines = ["forwarding:           \(settings.tables.events) at \(settings.connectionString)"]
            let positions: [ForwardingTables.Position]
            do {
                let connection = try PostgresConnection(settings.connectionString)
                positions = try settings.tables.positions(of: nil, on: connection)
            } catch {
                return (lines + ["  not read: \(error)"]).joined(separator: "\n")
            }
            let replicas = Dictionary(grouping: positions, by: \.replica)
            for (replica, own) in replicas.sorted(by: { $0.key < $1.key }) {
                let complete = own.filter(\.isComplete).count
                lines.append("  replica \(replica): \(complete) segments forwarded whole, \(own.count - complete) in progress")
                let latest = Dictionary(grouping: own, by: \.worker).values.compactMap { $0.max { $0.segment < $1.segment } }
                for position in latest.sorted(by: { $0.worker < $1.worker }) {
                    lines.append("    worker \(position.worker): \(position.segment) at byte \(position.offset)\(position.isComplete ? " (whole)" : "") updated \(position.updatedAt)")
                }
            }
            let backlog = ForwardingBacklog.count(catalog, positions: replicas[settings.replica] ?? [])
            let oldest = backlog.oldestMilliseconds.map { ", the oldest received \(JournalCatalog.timeText($0))" } ?? ""
            lines.append("  this journal as replica \(settings.replica): \(backlog.events) events not yet forwarded\(oldest)")
            return lines.joined(separator: "\n")
        }
    }
}
