import ArgumentParser
import FastReceiver
import Foundation

/// `fast-receiver journal`: read what the server stored.
struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Read the events stored in the journal.",
        subcommands: [Cat.self, Stats.self]
    )

    struct Location: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: ArgumentHelp("The server's data directory [DATA_DIR]. Default ./data.", valueName: "dir"))
        var dataDirectory: String?

        var catalog: JournalCatalog {
            JournalCatalog(dataDirectory: dataDirectory ?? ProcessInfo.processInfo.environment["DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./data")
        }
    }

    struct Cat: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every stored event, one JSON object a line, in storage order.",
            discussion: #"Each line is {"receivedAt":"RFC 3339","eventId":"…","event":<the stored body>}."#
        )

        @OptionGroup var location: Location
        @Flag(help: "Keep printing events as they are stored, until SIGINT, SIGTERM or SIGHUP (then exit 0).")
        var follow = false

        func run() throws {
            let catalog = location.catalog
            guard FileManager.default.fileExists(atPath: catalog.directory) || follow else {
                FileHandle.standardError.write(Data("fast-receiver: no journal at \(catalog.directory); check --data-dir.\n".utf8))
                throw ExitCode(2)
            }
            // SIGINT, SIGTERM and SIGHUP come through a signalfd, so that they end the loop
            // between two writes and never cut a line.
            let signals = follow ? try LifecycleSignals() : nil
            // Per segment: records printed, and for a plain segment the byte offset reached.
            var printed: [String: (records: Int, offset: Int)] = [:]
            let output = FileHandle.standardOutput
            while true {
                for name in catalog.segments() {
                    var state = printed[name.baseName] ?? (0, 0)
                    var lines = ""
                    if follow, !name.isCompressed,
                       let offset = catalog.forEachNewRecord(in: name, from: state.offset, { record in
                           lines += JournalCatalog.line(for: record) + "\n"
                           state.records += 1
                       }) {
                        state.offset = offset
                    } else if let total = catalog.forEachRecord(in: name, skip: state.records, { record in
                        lines += JournalCatalog.line(for: record) + "\n"
                    }) {
                        state.records = max(total, state.records)
                        state.offset = Int.max  // read whole: nothing more will be appended
                    }
                    printed[name.baseName] = state
                    if !lines.isEmpty { output.write(Data(lines.utf8)) }
                }
                guard let signals else { return }
                if signals.next(waitingAtMost: 200) != nil { return }
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Summarise the journal: segments, records, bytes, repairs, time span.")

        @OptionGroup var location: Location

        func run() throws {
            let catalog = location.catalog
            guard FileManager.default.fileExists(atPath: catalog.directory) else {
                FileHandle.standardError.write(Data("fast-receiver: no journal at \(catalog.directory); check --data-dir.\n".utf8))
                throw ExitCode(2)
            }
            let stats = catalog.stats()
            func time(_ milliseconds: Int64?) -> String {
                milliseconds.map { RFC3339.string(unixMilliseconds: $0) } ?? "-"
            }
            print("""
                journal:              \(catalog.directory)
                segments:             \(stats.segments) (\(stats.compressedSegments) compressed)
                records:              \(stats.records)
                bytes on disk:        \(stats.bytesOnDisk)
                torn tails pending:   \(stats.tornTails)
                torn tails repaired:  \(stats.tornTailsRepaired)
                corrupt regions:      \(stats.corruptRegions)
                oldest:               \(time(stats.oldestMilliseconds))
                newest:               \(time(stats.newestMilliseconds))
                """)
        }
    }
}
