import Foundation

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
        let alphabet = Array("0123456789abcdefghijklmnopqrstuv")
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<32)] })
    }

    /// A signed request: the body bytes and the `X-Dt-Signature` value.
    public struct Request: Sendable {
        public let eventID: String
        public let type: EventType
        public let body: [UInt8]
        public let signature: String
    }

    /// Makes and signs one event of `type` at Unix time `now`.
    public func request(type: EventType, eventID: String = DTEventFactory.newEventID(), device: Int = 0, now: Date = Date()) throws -> Request {
        let body = Array(Self.body(type: type, eventID: eventID, projectID: projectID, device: device, now: now).utf8)
        return Request(eventID: eventID, type: type, body: body, signature: try sign(body: body, issuedAt: Int64(now.timeIntervalSince1970)))
    }

    /// The `X-Dt-Signature` value for `body`, as DT Cloud computes it.
    public func sign(body: [UInt8], issuedAt: Int64, jti: String = DTEventFactory.newEventID()) throws -> String {
        let claims = "{\"checksum\":\"\(try OpenSSLDigest.sha1(body).hex)\",\"checksum_sha256\":\"\(try OpenSSLDigest.sha256(body).hex)\",\"exp\":\(issuedAt + 3600),\"iat\":\(issuedAt),\"jti\":\"\(jti)\"}"
        let input = Base64URL.encode(Array("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let mac = try OpenSSLDigest.hmacSHA256(key: secret.bytes, data: Array(input.utf8))
        return input + "." + Base64URL.encode(mac.bytes)
    }

    private static func body(type: EventType, eventID: String, projectID: String, device: Int, now: Date) -> String {
        let time = timestamp(now)
        let deviceID = String(format: "emu%017d", device)
        let data: String
        switch type {
        case .touch: data = #"{"touch":{"updateTime":"\#(time)"}}"#
        case .temperature:
            let value = String(format: "%.2f", Double.random(in: 18...26))
            data = #"{"temperature":{"value":\#(value),"updateTime":"\#(time)","samples":[{"value":\#(value),"sampleTime":"\#(time)"}],"isBackfilled":false}}"#
        case .objectPresent: data = #"{"objectPresent":{"state":"\#(Bool.random() ? "PRESENT" : "NOT_PRESENT")","updateTime":"\#(time)"}}"#
        case .humidity:
            data = #"{"humidity":{"temperature":\#(String(format: "%.2f", Double.random(in: 18...26))),"relativeHumidity":\#(String(format: "%.1f", Double.random(in: 20...70))),"updateTime":"\#(time)","samples":[]}}"#
        case .objectPresentCount: data = #"{"objectPresentCount":{"total":\#(Int.random(in: 0...5000)),"updateTime":"\#(time)"}}"#
        case .touchCount: data = #"{"touchCount":{"total":\#(Int.random(in: 0...5000)),"updateTime":"\#(time)"}}"#
        case .waterPresent: data = #"{"waterPresent":{"state":"NOT_PRESENT","updateTime":"\#(time)"}}"#
        case .networkStatus:
            data = #"{"networkStatus":{"signalStrength":\#(Int.random(in: 0...100)),"rssi":-\#(Int.random(in: 40...100)),"updateTime":"\#(time)","cloudConnectors":[{"id":"bchonod7rihjtvdmd2vg","signalStrength":45,"rssi":-83}],"transmissionMode":"LOW_POWER_STANDARD_MODE"}}"#
        case .batteryStatus: data = #"{"batteryStatus":{"percentage":\#(Int.random(in: 1...100)),"updateTime":"\#(time)"}}"#
        case .labelsChanged: data = #"{"added":{"room":"lab"},"modified":{"name":"sensor \#(device)"},"removed":["old"]}"#
        case .connectionStatus: data = #"{"connectionStatus":{"connection":"ETHERNET","available":["ETHERNET","CELLULAR"],"updateTime":"\#(time)"}}"#
        case .co2: data = #"{"co2":{"ppm":\#(Int.random(in: 400...1500)),"updateTime":"\#(time)"}}"#
        case .pressure: data = #"{"pressure":{"pascal":\#(Int.random(in: 98000...103000)),"updateTime":"\#(time)"}}"#
        case .motion: data = #"{"motion":{"state":"\#(Bool.random() ? "MOTION_DETECTED" : "NO_MOTION_DETECTED")","updateTime":"\#(time)"}}"#
        case .deskOccupancy: data = #"{"deskOccupancy":{"state":"\#(Bool.random() ? "OCCUPIED" : "NOT_OCCUPIED")","remarks":[],"updateTime":"\#(time)"}}"#
        case .contact: data = #"{"contact":{"state":"\#(Bool.random() ? "OPEN" : "CLOSED")","updateTime":"\#(time)"}}"#
        }
        return #"{"event":{"eventId":"\#(eventID)","targetName":"projects/\#(projectID)/devices/\#(deviceID)","eventType":"\#(type.rawValue)","data":\#(data),"timestamp":"\#(time)"},"labels":{"name":"emulated \#(type.rawValue)"},"metadata":{"deviceId":"\#(deviceID)","projectId":"\#(projectID)","deviceType":"\#(type.rawValue)","productNumber":""}}"#
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
