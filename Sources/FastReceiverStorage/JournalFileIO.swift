internal import Glibc

/// The file operations the journal's durability rests on, behind one seam so tests can record
/// their order (write, then fdatasync, then the acknowledgement) or inject failures.
public protocol JournalFileIO: AnyObject, Sendable {
    /// Opens `path` for writing from its start, creating it exclusively when `create` is set.
    /// Returns a descriptor or -errno.
    func open(_ path: String, create: Bool) -> Int32
    /// Writes all of `bytes` at the descriptor's position; returns 0 or an errno value.
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32
    /// `fdatasync`; returns 0 or an errno value.
    func dataSync(_ descriptor: Int32) -> Int32
    /// `fsync` of a directory, so that a new file's name is durable; returns 0 or an errno value.
    func syncDirectory(_ path: String) -> Int32
    /// `ftruncate`; returns 0 or an errno value.
    func truncate(_ descriptor: Int32, to length: Int) -> Int32
    func close(_ descriptor: Int32)
    /// Moves the descriptor's position to `offset` (`lseek`); returns 0 or an errno value.
    func seek(_ descriptor: Int32, to offset: Int) -> Int32
    /// Renames a file within the journal directory (`rename`); returns 0 or an errno value.
    func rename(_ path: String, to newPath: String) -> Int32
}

extension JournalFileIO {
    public func seek(_ descriptor: Int32, to offset: Int) -> Int32 {
        lseek(descriptor, off_t(offset), SEEK_SET) >= 0 ? 0 : errno
    }

    public func rename(_ path: String, to newPath: String) -> Int32 {
        Glibc.rename(path, newPath) == 0 ? 0 : errno
    }
}

/// The real file system.
public final class PosixFileIO: JournalFileIO {
    public init() {}

    public func open(_ path: String, create: Bool) -> Int32 {
        let flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0)
        let fd = Glibc.open(path, flags, 0o640)
        return fd >= 0 ? fd : -errno
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let base = bytes.baseAddress else { return 0 }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if written == 0 { return EIO }
            offset += written
        }
        return 0
    }

    public func dataSync(_ descriptor: Int32) -> Int32 {
        fdatasync(descriptor) == 0 ? 0 : errno
    }

    public func syncDirectory(_ path: String) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { Glibc.close(fd) }
        return fsync(fd) == 0 ? 0 : errno
    }

    public func truncate(_ descriptor: Int32, to length: Int) -> Int32 {
        ftruncate(descriptor, off_t(length)) == 0 ? 0 : errno
    }

    public func close(_ descriptor: Int32) {
        _ = Glibc.close(descriptor)
    }
}
