internal import CZlib

/// Inflates a whole compressed body in one call into a buffer of fixed size, so that a small
/// input cannot inflate without bound.
package enum Inflater {
    /// The stream formats zlib inflates.
    package enum Format: Sendable {
        /// gzip (RFC 1952), one member or several one after another (§2.2), their output
        /// concatenated.
        case gzip
        /// The zlib format (RFC 1950): what HTTP calls `deflate`.
        case zlib
        /// Raw deflate (RFC 1951), which some clients send as `deflate`.
        case rawDeflate

        var windowBits: Int32 {
            switch self {
            case .gzip: 31
            case .zlib: 15
            case .rawDeflate: -15
            }
        }
    }

    /// What inflating produced.
    package enum Outcome: Sendable, Equatable {
        /// The stream inflated to this many bytes at the start of the output.
        case inflated(Int)
        /// The stream is malformed or incomplete, or bytes follow it that are not a whole member.
        case malformed
        /// It inflates past the output's size.
        case tooLarge
    }

    /// Inflates `input` into `output`.
    /// - Returns: the inflated size, or why there is none; never more than `output.count` bytes.
    package static func inflate(_ input: UnsafeRawBufferPointer, format: Format, into output: UnsafeMutableRawBufferPointer) -> Outcome {
        let written = Int(fr_inflate(format.windowBits, input.baseAddress, input.count, output.baseAddress, output.count))
        switch written {
        case -2: return .tooLarge
        case 0...: return .inflated(written)
        default: return .malformed
        }
    }
}
