internal import FastReceiverCompression
internal import FastReceiverSystem
internal import Glibc

/// A segment's bytes, valid while this object lives: mapped from its file, or read or inflated
/// into memory.
final class SegmentBytes {
    /// Valid only while this object lives: read them through `withBytes`.
    private let bytes: UnsafeRawBufferPointer
    var count: Int { bytes.count }
    /// The segment offset `bytes` starts at (more than 0 when only the end was read).
    let offset: Int
    /// For a compressed segment whose stream is damaged or cut short: how many bytes inflated
    /// before it broke (those are `bytes`).
    let inflatedBeforeDamage: Int?
    private let isMapped: Bool

    /// Whether `bytes` run to the end of the file, as it was when read.
    let reachesEnd: Bool

    fileprivate init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, reachesEnd: Bool = true, isMapped: Bool = false,
                     inflatedBeforeDamage: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.reachesEnd = reachesEnd
        self.isMapped = isMapped
        self.inflatedBeforeDamage = inflatedBeforeDamage
    }

    /// Calls `body` with the bytes, keeping them valid until it returns.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(self) { try body(bytes) }
    }

    deinit {
        guard let base = UnsafeMutableRawPointer(mutating: bytes.baseAddress) else { return }
        if isMapped { munmap(base, bytes.count) } else { free(base) }
    }
}

/// Opens segment files for reading, refusing what no server could have written: anything but a
/// regular file (a symlink, FIFO or device), and a file that is, or inflates to, more than the
/// largest segment (`WorkerJournal.Settings.largestSegmentBytes`). Memory is bounded by that
/// limit, and a compressed segment is never inflated past it.
enum SegmentReader {
    /// Why a segment was not read; one phrase, safe to log after the segment's name.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The file could not be opened, examined, mapped or read (errno).
        case unreadable(call: String, errno: Int32)
        case notARegularFile
        case largerThan(Int)
        case inflatesPast(Int)

        var description: String {
            switch self {
            case .unreadable(let call, let errno): "cannot be read (\(SystemError(call, errno: errno)))"
            case .notARegularFile: "is not a regular file"
            case .largerThan(let limit): "is larger than \(limit) bytes"
            case .inflatesPast(let limit): "inflates past \(limit) bytes"
            }
        }
    }

    /// Maps a plain segment whole, read-only, for recovery (which no other process truncates
    /// while it runs: a mapping reads nothing into memory, but a file cut short under it would
    /// fault).
    static func map(_ path: String, limit: Int) -> Result<SegmentBytes, Failure> {
        open(path, limit: limit).flatMap { descriptor, size in
            defer { close(descriptor) }
            guard size > 0 else { return .success(SegmentBytes(UnsafeRawBufferPointer(start: nil, count: 0))) }
            guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
                return .failure(.unreadable(call: "mmap", errno: errno))
            }
            return .success(SegmentBytes(UnsafeRawBufferPointer(start: mapped, count: size), isMapped: true))
        }
    }

    /// Reads a plain segment from `offset` into memory, to its end or `count` bytes at most (for
    /// tools that run beside a server, which may truncate a live segment after a failed write).
    static func read(_ path: String, from offset: Int, count wanted: Int = .max, limit: Int) -> Result<SegmentBytes, Failure> {
        open(path, limit: limit).flatMap { descriptor, size in
            defer { close(descriptor) }
            let start = min(max(offset, 0), size)
            let length = min(size - start, max(wanted, 0))
            guard length > 0, let buffer = malloc(length) else {
                return .success(SegmentBytes(UnsafeRawBufferPointer(start: nil, count: 0), offset: start, reachesEnd: start == size))
            }
            var count = 0
            while count < length {
                let read = pread(descriptor, buffer + count, length - count, off_t(start + count))
                if read < 0 && errno == EINTR { continue }
                if read < 0 {
                    let error = errno
                    free(buffer)
                    return .failure(.unreadable(call: "read", errno: error))
                }
                if read == 0 { break }  // cut short since fstat: read what is there
                count += read
            }
            return .success(SegmentBytes(UnsafeRawBufferPointer(start: buffer, count: count), offset: start,
                                         reachesEnd: start + count >= size || count < length))
        }
    }

    /// Inflates a compressed segment into memory, stopping as soon as it passes `limit` bytes.
    /// A stream that is damaged or cut short yields what inflated before the damage.
    static func inflate(_ path: String, limit: Int) -> Result<SegmentBytes, Failure> {
        open(path, limit: Int.max).flatMap { descriptor, _ in
            guard let file = GzipFile(descriptor: descriptor, mode: .read) else {
                close(descriptor)
                return .failure(.unreadable(call: "gzdopen", errno: ENOMEM))
            }
            defer { _ = file.close() }
            // Grown as the stream inflates: a bomb costs at most `limit` bytes, a normal
            // segment no more than it inflates to (twice that while growing).
            var capacity = min(1 << 20, limit + 1)
            guard var buffer = malloc(capacity) else { return .failure(.unreadable(call: "malloc", errno: ENOMEM)) }
            var count = 0
            var isDamaged = false
            while true {
                if count > limit {
                    free(buffer)
                    return .failure(.inflatesPast(limit))
                }
                if count == capacity {
                    capacity = min(capacity * 2, limit + 1)
                    guard let grown = realloc(buffer, capacity) else {
                        free(buffer)
                        return .failure(.unreadable(call: "malloc", errno: ENOMEM))
                    }
                    buffer = grown
                }
                let read = file.read(into: UnsafeMutableRawBufferPointer(start: buffer + count, count: capacity - count))
                if read > 0 {
                    count += read
                    continue
                }
                // 0 at the end of the stream, which may also be where a damaged one broke off.
                isDamaged = read < 0 || !file.isIntact
                break
            }
            return .success(SegmentBytes(UnsafeRawBufferPointer(start: buffer, count: count), inflatedBeforeDamage: isDamaged ? count : nil))
        }
    }

    /// Opens a regular file (never following a symlink, never blocking on a FIFO) of at most
    /// `limit` bytes; returns its descriptor and size.
    private static func open(_ path: String, limit: Int) -> Result<(Int32, Int), Failure> {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return .failure(.unreadable(call: "open", errno: errno)) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = errno
            close(descriptor)
            return .failure(.unreadable(call: "fstat", errno: error))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            return .failure(.notARegularFile)
        }
        guard status.st_size <= limit else {
            close(descriptor)
            return .failure(.largerThan(limit))
        }
        return .success((descriptor, Int(status.st_size)))
    }
}
