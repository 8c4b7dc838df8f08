import Foundation
import Testing

@testable import FastReceiverSystem

@Suite struct RFC3339Tests {
    @Test("UTC with milliseconds, agreeing with Foundation's formatter", arguments: [0, 1_716_978_843_521, 1_795_928_852_005, 951_782_400_999] as [Int64])
    func formats(_ milliseconds: Int64) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        #expect(RFC3339.string(unixMilliseconds: milliseconds) == expected)
    }

    @Test("A known instant")
    func knownInstant() {
        #expect(RFC3339.string(unixMilliseconds: 1_716_978_843_521) == "2024-05-29T10:34:03.521Z")
        #expect(RFC3339.string(unixMilliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }
}
