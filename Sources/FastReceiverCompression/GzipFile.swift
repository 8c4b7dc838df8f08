internal import CZlib

/// A gzip stream over a file descriptor, read or written through zlib's `gz*` calls. The one
/// owner of its `gzFile`: `close()` ends it (and closes the descriptor), and `deinit` does so if
/// it was not called.
package final class GzipFile {
    /// How the stream is used.
    package enum Mode: Sendable {
        /// Inflates what the descriptor holds.
        case read
        /// Deflates what is written, at zlib level 1: the fastest, which still shrinks JSON
        /// several-fold.
        case writeFast

        var text: String {
            switch self {
            case .read: "rb"
            case .writeFast: "wb1"
            }
        }
    }

    private var file: UnsafeMutableRawPointer?

    /// Takes over `descriptor`: closing this file closes it.
    /// - Returns: nil when zlib cannot allocate its state; the descriptor is then left open.
    package init?(descriptor: Int32, mode: Mode) {
        guard let file = fr_gzdopen(descriptor, mode.text) else { return nil }
        self.file = file
    }

    deinit {
        if let file { _ = fr_gzclose(file) }
    }

    /// Inflates up to `buffer.count` bytes (at most 1 GiB) into `buffer`.
    /// - Returns: the bytes written; 0 at the end of the stream; negative on an error.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let file else { return -1 }
        return Int(fr_gzread(file, buffer.baseAddress, UInt32(min(buffer.count, 1 << 30))))
    }

    /// Whether the last `read` ended the stream cleanly: false when it was damaged or cut short.
    package var isIntact: Bool {
        guard let file else { return false }
        return fr_gzerror(file) == Z_OK
    }

    /// Deflates all of `bytes` (at most 4 GiB); false on an error.
    package func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let file else { return false }
        return fr_gzwrite(file, bytes.baseAddress, UInt32(bytes.count)) == Int32(bytes.count)
    }

    /// Pushes what zlib has buffered to the descriptor, keeping the stream valid (`Z_SYNC_FLUSH`).
    package func flush() -> Bool {
        guard let file else { return false }
        return fr_gzflush(file) == Z_OK
    }

    /// Ends the stream (writing the gzip trailer when writing) and closes the descriptor.
    /// - Returns: whether it ended without error.
    package func close() -> Bool {
        guard let file else { return false }
        self.file = nil
        return fr_gzclose(file) == Z_OK
    }
}
