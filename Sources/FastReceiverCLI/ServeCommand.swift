internal import ArgumentParser
internal import FastReceiver
internal import Foundation
internal import Logging

/// `fast-receiver serve`: the ingestion server (also what runs with no subcommand).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive, verify and store Data Connector events.",
        discussion: """
            Every flag also reads the environment variable in brackets; flags win. The secret \
            comes from DT_SIGNATURE_SECRET (DT_SIGNATURE_SECRET_PREVIOUS is also accepted while \
            rotating) or from --secret-file; from either, whitespace around a secret (spaces, \
            tabs, a trailing newline) is removed. SIGTERM or SIGINT drains and exits 0.
            """
    )

    @OptionGroup var options: ServeOptions

    func validate() throws {
        try validateSettings()
    }

    func run() throws {
        do {
            let configuration = try options.configuration(environment: ProcessInfo.processInfo.environment)
            configuration.logFormat.bootstrap(level: configuration.logLevel)
            try ReceiverService.run(configuration: configuration, logger: Logger(label: "fast-receiver"))
        } catch let error as ConfigurationError {
            throw ExitCode.refusal(printing: error)
        }
    }
}
