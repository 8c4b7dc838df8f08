internal import FastReceiverCrypto
internal import Glibc

extension TLSConnection {
    /// Writes as `send` would: the bytes taken, or -1 with errno set (`EAGAIN` when OpenSSL must
    /// wait for either readiness), so the clients' socket loops serve plain and TLS alike.
    func sendResult(_ bytes: UnsafeRawBufferPointer) -> Int {
        switch write(bytes) {
        case .bytes(let count): return count
        case .wantRead, .wantWrite: errno = EAGAIN
        case .failed(let error): errno = error.socketErrno ?? EPROTO
        }
        return -1
    }

    /// Reads as `recv` would: the bytes read, 0 at the end of the session, or -1 with errno set
    /// (`EAGAIN` when OpenSSL must wait for either readiness).
    func receiveResult(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        switch read(into: buffer) {
        case .bytes(let count): return count
        case .closed: return 0
        case .wantRead, .wantWrite: errno = EAGAIN
        case .failed(let error): errno = error.socketErrno ?? EPROTO
        }
        return -1
    }
}
