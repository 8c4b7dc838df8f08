internal import FastReceiverSystem
public import FastReceiverVerification
public import Foundation
internal import Glibc

/// Builds Data Connector requests the way DT Cloud does: a compact JSON event body and an
/// `X-Dt-Signature` HS256 JWT over `{checksum, checksum_sha256, exp, iat, jti}`. Used by
/// `fast-receiver send` and by tests; not on the request path.
public struct DTEventFactory: Sendable {
    /// The event types `send` can produce (a subset of DT's, covering each body shape).
    public enum EventType: String, Sendable, CaseIterable {
        case touch, temperature, objectPresent, humidity, objectPresentCount, touchCount, waterPresent
        case networkStatus, batteryStatus, labelsChanged, connectionStatus, co2, pressure, motion
        case deskOccupancy, contact
    }

    public let secret: SignatureSecret
    public let projectID: String

    public init(secret: SignatureSecret, projectID: String = "fastreceiverdemo0000") {
        self.secret = secret
        self.projectID = projectID
    }

    /// A fresh event id in DT's style: 20 lower-case base32hex characters.
    public static func newEventID() -> String {
        var generator = SystemRandomNumberGenerator()
        return newEventID(using: &generator)
    }

    /// A fresh event id drawn from `generator`.
    static func newEventID(using generator: inout some RandomNumberGenerator) -> String {
        var bits = (generator.next() as UInt64, generator.next() as UInt64)
        return String(unsafeUninitializedCapacity: 20) { out in
            for index in 0..<20 {
                if index == 12 { bits.0 = bits.1 }
                out[index] = base32hex[Int(bits.0 & 31)]
                bits.0 >>= 5
            }
            return 20
        }
    }

    private static let base32hex: [UInt8] = Array("0123456789abcdefghijklmnopqrstuv".utf8)

    /// A signed request: the body bytes and the `X-Dt-Signature` value.
    public struct Request: Sendable {
        public let eventID: String
        public let type: EventType
        public let body: [UInt8]
        public let signature: String
    }

    /// Makes and signs one event of `type` at Unix time `now`.
    ///
    /// Sets up OpenSSL contexts for this one request; to make many, use one `DTEventSigner`.
    public func request(type: EventType, eventID: String = DTEventFactory.newEventID(), device: Int = 0, now: Date = Date()) throws -> Request {
        try DTEventSigner(factory: self).request(type: type, eventID: eventID, device: device, now: now)
    }

    /// The `X-Dt-Signature` value for `body`, as DT Cloud computes it.
    public func sign(body: [UInt8], issuedAt: Int64, jti: String = DTEventFactory.newEventID()) throws -> String {
        try DTEventSigner(factory: self).sign(body: body, issuedAt: issuedAt, jti: jti)
    }

    /// The JSON body of one event; `time` is its RFC 3339 timestamp.
    static func body(type: EventType, eventID: String, projectID: String, device: Int, time: String,
                     using random: inout some RandomNumberGenerator) -> String {
        let deviceID = "emu" + RFC3339.padded(device, 17)
        let data: String
        switch type {
        case .touch: data = #"{"touch":{"updateTime":"\#(time)"}}"#
        case .temperature:
            let value = decimal(Int.random(in: 1800...2600, using: &random), fractionDigits: 2)
            data = #"{"temperature":{"value":\#(value),"updateTime":"\#(time)","samples":[{"value":\#(value),"sampleTime":"\#(time)"}],"isBackfilled":false}}"#
        case .objectPresent: data = #"{"objectPresent":{"state":"\#(Bool.random(using: &random) ? "PRESENT" : "NOT_PRESENT")","updateTime":"\#(time)"}}"#
        case .humidity:
            data = #"{"humidity":{"temperature":\#(decimal(Int.random(in: 1800...2600, using: &random), fractionDigits: 2)),"relativeHumidity":\#(decimal(Int.random(in: 200...700, using: &random), fractionDigits: 1)),"updateTime":"\#(time)","samples":[]}}"#
        case .objectPresentCount: data = #"{"objectPresentCount":{"total":\#(Int.random(in: 0...5000, using: &random)),"updateTime":"\#(time)"}}"#
        case .touchCount: data = #"{"touchCount":{"total":\#(Int.random(in: 0...5000, using: &random)),"updateTime":"\#(time)"}}"#
        case .waterPresent: data = #"{"waterPresent":{"state":"NOT_PRESENT","updateTime":"\#(time)"}}"#
        case .networkStatus:
            data = #"{"networkStatus":{"signalStrength":\#(Int.random(in: 0...100, using: &random)),"rssi":-\#(Int.random(in: 40...100, using: &random)),"updateTime":"\#(time)","cloudConnectors":[{"id":"bchonod7rihjtvdmd2vg","signalStrength":45,"rssi":-83}],"transmissionMode":"LOW_POWER_STANDARD_MODE"}}"#
        case .batteryStatus: data = #"{"batteryStatus":{"percentage":\#(Int.random(in: 1...100, using: &random)),"updateTime":"\#(time)"}}"#
        case .labelsChanged: data = #"{"added":{"room":"lab"},"modified":{"name":"sensor \#(device)"},"removed":["old"]}"#
        case .connectionStatus: data = #"{"connectionStatus":{"connection":"ETHERNET","available":["ETHERNET","CELLULAR"],"updateTime":"\#(time)"}}"#
        case .co2: data = #"{"co2":{"ppm":\#(Int.random(in: 400...1500, using: &random)),"updateTime":"\#(time)"}}"#
        case .pressure: data = #"{"pressure":{"pascal":\#(Int.random(in: 98000...103000, using: &random)),"updateTime":"\#(time)"}}"#
        case .motion: data = #"{"motion":{"state":"\#(Bool.random(using: &random) ? "MOTION_DETECTED" : "NO_MOTION_DETECTED")","updateTime":"\#(time)"}}"#
        case .deskOccupancy: data = #"{"deskOccupancy":{"state":"\#(Bool.random(using: &random) ? "OCCUPIED" : "NOT_OCCUPIED")","remarks":[],"updateTime":"\#(time)"}}"#
        case .contact: data = #"{"contact":{"state":"\#(Bool.random(using: &random) ? "OPEN" : "CLOSED")","updateTime":"\#(time)"}}"#
        }
        return #"{"event":{"eventId":"\#(eventID)","targetName":"projects/\#(projectID)/devices/\#(deviceID)","eventType":"\#(type.rawValue)","data":\#(data),"timestamp":"\#(time)"},"labels":{"name":"emulated \#(type.rawValue)"},"metadata":{"deviceId":"\#(deviceID)","projectId":"\#(projectID)","deviceType":"\#(type.rawValue)","productNumber":""}}"#
    }

    /// `scaled / 10^fractionDigits` written with exactly `fractionDigits` decimals (non-negative values only).
    private static func decimal(_ scaled: Int, fractionDigits: Int) -> String {
        var divisor = 1
        for _ in 0..<fractionDigits { divisor *= 10 }
        return String(scaled / divisor) + "." + RFC3339.padded(scaled % divisor, fractionDigits)
    }
}
