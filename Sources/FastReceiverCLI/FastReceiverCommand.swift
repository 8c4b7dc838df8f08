internal import ArgumentParser
internal import FastReceiver

@main
struct FastReceiverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fast-receiver",
        abstract: "Receives Disruptive Technologies Data Connector events: verifies, stores, answers.",
        version: FastReceiver.version,
        subcommands: [ServeCommand.self, VerifyCommand.self, SendCommand.self, JournalCommand.self, HealthcheckCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
