internal import ArgumentParser
internal import FastReceiver
internal import FastReceiverSystem
internal import Foundation

@main
struct FastReceiverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fast-receiver",
        abstract: "Receives Disruptive Technologies Data Connector events: verifies, stores, answers.",
        version: FastReceiver.version,
        subcommands: [ServeCommand.self, VerifyCommand.self, SendCommand.self, JournalCommand.self, ForwardCommand.self, HealthcheckCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    /// Starts every subcommand from the signal state a shell gives it, whatever the parent left
    /// blocked or ignored, so that SIGTERM and SIGINT always reach it.
    static func main() {
        do {
            try LifecycleSignals.restoreDefaults()
        } catch {
            FileHandle.standardError.write(Data("fast-receiver: signal state not restored: \(error)\n".utf8))
            Foundation.exit(1)
        }
        main(nil)
    }
}
