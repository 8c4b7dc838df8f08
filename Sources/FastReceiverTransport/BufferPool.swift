internal import FastReceiverSystem
internal import Glibc

/// Equally sized buffers carved from one anonymous mapping reserved at start.
///
/// Reserving the whole pool up front bounds memory by configuration rather than by traffic;
/// untouched pages cost no RSS, so a large pool is cheap until it is used. Owned by one worker
/// thread (not `Sendable`).
@usableFromInline
final class BufferPool {
    /// Bytes per buffer, a multiple of the page size.
    @usableFromInline let bufferSize: Int
    /// How many buffers the pool holds.
    let capacity: Int
    private let base: UnsafeMutableRawPointer
    private var free: [Int32]

    /// - Throws: `SystemError` when the mapping cannot be reserved.
    init(bufferSize requested: Int, count: Int) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        bufferSize = (max(requested, 1) + page - 1) / page * page
        capacity = max(count, 1)
        let mapped = mmap(nil, bufferSize * capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { throw SystemError("mmap") }
        base = mapped
        free = (0..<Int32(capacity)).reversed().map { $0 }
    }

    deinit {
        munmap(base, bufferSize * capacity)
    }

    /// Buffers not in use.
    @usableFromInline var available: Int { free.count }

    /// A buffer, or nil when all are in use.
    @usableFromInline
    func take() -> UnsafeMutableRawBufferPointer? {
        guard let index = free.popLast() else { return nil }
        return UnsafeMutableRawBufferPointer(start: base + Int(index) * bufferSize, count: bufferSize)
    }

    /// Returns a buffer that `take()` handed out.
    @usableFromInline
    func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let start = buffer.baseAddress else { return }
        let index = (start - base) / bufferSize
        precondition(index >= 0 && index < capacity && free.count < capacity, "buffer does not belong to this pool")
        free.append(Int32(index))
    }
}
