public import Glibc

extension UnsafeRawBufferPointer {
    /// The first index in `start..<end` holding `byte`, or nil (`memchr`, which scans a word or
    /// more at a time).
    @inlinable
    package func firstIndex(of byte: UInt8, from start: Int, to end: Int) -> Int? {
        guard start < end, let base = baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), end - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }
}
