internal import ArgumentParser
internal import Foundation

extension ExitCode {
    /// Prints `reason`, one sentence for the operator, to standard error and gives exit status 2:
    /// the command cannot run as asked (a setting, file or address it cannot use).
    static func refusal(printing reason: some CustomStringConvertible) -> ExitCode {
        FileHandle.standardError.write(Data("fast-receiver: \(reason)\n".utf8))
        return ExitCode(2)
    }
}
