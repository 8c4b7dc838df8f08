internal import ArgumentParser
internal import FastReceiverSystem
internal import FastReceiverVerification
internal import Foundation

/// `fast-receiver verify`: says whether one captured request verifies, and if not, exactly why.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a captured request's X-Dt-Signature against its body.",
        discussion: """
            The secret comes from DT_SIGNATURE_SECRET (and DT_SIGNATURE_SECRET_PREVIOUS), or from \
            --secret-file, with whitespace around each secret removed, as serve does. Prints \
            "valid" and exits 0, or prints why the request would be refused and exits 1. Exits 2 \
            when the inputs themselves cannot be read, or when OpenSSL fails.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The request body, byte for byte as received.", valueName: "file"))
    var body: String

    @Option(name: .long, help: ArgumentHelp("The X-Dt-Signature value (a leading \"X-Dt-Signature:\" is ignored).", valueName: "token"))
    var signature: String

    @Option(name: .long, help: ArgumentHelp("Verify as of this Unix time in seconds (default: now).", valueName: "unix-seconds"))
    var at: Int64?

    @OptionGroup var signatures: SignatureSettings

    func validate() throws {
        try validateSettings()
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let secrets: [SignatureSecret]
        let clockSkew: Int64
        do {
            secrets = try signatures.secrets(environment: environment).secrets
            clockSkew = try signatures.clockSkew.value(in: environment)
        } catch {
            throw ExitCode.refusal(printing: error)
        }
        guard let bodyBytes = FileManager.default.contents(atPath: body) else {
            throw ExitCode.refusal(printing: "The body file \(body) cannot be read; check its path.")
        }
        var token = Substring(signature.trimmingCharacters(in: .whitespacesAndNewlines))
        if token.lowercased().hasPrefix("x-dt-signature:") {
            token = token.dropFirst("x-dt-signature:".count).drop(while: { $0 == " " || $0 == "\t" })
        }
        let verifier = try SignatureVerifier(secrets: secrets, clockSkew: clockSkew)
        let now = at ?? UnixTime.now()
        let outcome = Array(token.utf8).withUnsafeBytes { tokenBytes in
            bodyBytes.withUnsafeBytes { verifier.verify(.single(tokenBytes), body: $0, now: now) }
        }
        switch outcome {
        case .verified:
            print("valid")
        case .rejected(let reason):
            print("invalid: \(reason)")
            throw ExitCode(1)
        case .failed(let error):
            FileHandle.standardError.write(Data("fast-receiver: the request could not be checked: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
