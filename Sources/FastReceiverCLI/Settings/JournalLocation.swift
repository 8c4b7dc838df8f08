internal import ArgumentParser
internal import FastReceiver
internal import FastReceiverStorage
internal import Foundation

/// Where the journal is and how large its segments grow: `serve` writes it so, and
/// `journal cat` and `journal stats` read it so.
struct JournalLocation: ParsableArguments {
    @Option("--data-dir", "DATA_DIR", default: defaults.dataDirectory, help: "Directory of the journal.", valueName: "dir")
    var dataDirectory: Setting<String>

    @Option(
        "--segment-bytes", "FAST_RECEIVER_SEGMENT_BYTES", default: defaults.journal.segmentMaxBytes, rule: .range((64 << 10)...(4 << 30)),
        help: "Rotate a journal segment after this many bytes.",
        discussion: "journal cat and stats report a segment file larger than any written with it (on disk or inflated) and do not read it.",
        valueName: "bytes")
    var segmentBytes: Setting<Int>

    /// The journal these settings name in the process environment.
    /// - Throws: `ExitCode(2)`, after one sentence on stderr, for a bad value.
    func catalog() throws -> JournalCatalog {
        let environment = ProcessInfo.processInfo.environment
        do {
            return JournalCatalog(dataDirectory: try dataDirectory.value(in: environment), segmentBytes: try segmentBytes.value(in: environment))
        } catch {
            throw ExitCode.refusal(printing: error)
        }
    }
}
