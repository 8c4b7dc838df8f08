public import FastReceiverHTTP

/// One client connection's slot in its worker: the socket's transport, the buffers and the state
/// machine. Slots are pooled: the object and its parser are made once and reused for every
/// connection that lands in the slot, so accepting a connection allocates nothing once the pool
/// is warm.
///
/// Generic over the handler's per-request context and ticket, and over the byte transport.
@usableFromInline
final class Connection<Context, Ticket, Transport: ByteTransport> {
    // Owned by one worker thread; see `Worker` for why accesses are not checked at run time.
    @usableFromInline typealias Machine = ConnectionStateMachine<Context, Ticket>

    /// This connection's index in its worker's slot table (fixed for the object's life).
    @usableFromInline let slot: Int32
    /// The socket, or -1 while the slot is free.
    @exclusivity(unchecked) @usableFromInline var descriptor: Int32 = -1
    /// Changes every time the slot is reused, so a stale epoll event is recognised.
    @exclusivity(unchecked) @usableFromInline var generation: UInt32 = 0
    @exclusivity(unchecked) @usableFromInline var transport: Transport
    @exclusivity(unchecked) @usableFromInline var machine: Machine
    /// Input and output space from the worker's small-buffer pool.
    @exclusivity(unchecked) @usableFromInline var small = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// A large input buffer, while a request needs one.
    @exclusivity(unchecked) @usableFromInline var large: UnsafeMutableRawBufferPointer?
    /// Bytes of input held.
    @exclusivity(unchecked) @usableFromInline var count = 0
    /// Bytes of output waiting to be sent.
    @exclusivity(unchecked) @usableFromInline var outputCount = 0

    @usableFromInline
    init(slot: Int32, transport: Transport, limits: Machine.Limits, httpLimits: HTTPLimits) {
        self.slot = slot
        self.transport = transport
        machine = ConnectionStateMachine(limits: limits, httpLimits: httpLimits)
    }

    @inlinable
    var isOpen: Bool { descriptor >= 0 }

    /// Takes a newly accepted socket into the slot; its epoll interest is then
    /// `machine.registeredInterest`.
    @inlinable
    func open(descriptor: Int32, transport: Transport, small: UnsafeMutableRawBufferPointer, now: Int, nowMicroseconds: Int) {
        self.descriptor = descriptor
        self.transport = transport
        self.small = small
        generation &+= 1
        large = nil
        count = 0
        outputCount = 0
        machine.open(handshake: Transport.needsHandshake, now: now, nowMicroseconds: nowMicroseconds)
    }

    /// The epoll token for this connection: its generation and its slot.
    @inlinable
    var token: UInt64 { UInt64(generation) << 32 | UInt64(UInt32(bitPattern: slot)) }

    /// The slot and generation a token names.
    @inlinable
    static func slotAndGeneration(of token: UInt64) -> (slot: Int, generation: UInt32) {
        (Int(token & 0xFFFF_FFFF), UInt32(truncatingIfNeeded: token >> 32))
    }
}
