import Testing

@testable import FastReceiverHTTP

@Suite struct HTTPParseErrorTests {
    static let everyError: [HTTPParseError] = [
        .bareLineFeed, .bareCarriageReturn, .nulByte, .invalidMethod, .invalidRequestLine,
        .invalidTargetByte, .invalidTargetForm, .invalidVersion, .unsupportedVersion,
        .obsoleteLineFolding, .invalidFieldName, .whitespaceBeforeColon, .missingColon,
        .invalidFieldValue, .headerSectionTooLarge(limit: 16384), .tooManyFields(limit: 100),
        .missingHost, .duplicateHost, .invalidHost, .invalidContentLength, .duplicateContentLength,
        .unsupportedTransferEncoding, .duplicateTransferEncoding, .transferEncodingInHTTP10,
        .contentLengthWithTransferEncoding, .duplicateContentEncoding, .unsupportedExpectation,
        .bodyTooLarge(limit: 1_048_576), .invalidChunkSize, .invalidChunkExtension,
        .chunkDataNotTerminated, .chunkFramingTooLarge(limit: 16384), .trailerSectionTooLarge(limit: 10),
    ]

    @Test(arguments: everyError)
    func describesItselfInOneSentence(_ error: HTTPParseError) {
        let description = error.description
        #expect(description.first?.isUppercase == true)
        #expect(description.hasSuffix("."))
        #expect(!description.dropLast().contains(". "))
    }

    @Test func mapsRulesToStatuses() {
        let statuses = Dictionary(grouping: Self.everyError, by: \.status).mapValues(\.count)
        #expect(Set(statuses.keys) == [400, 413, 417, 431, 505])
        #expect(HTTPParseError.headerSectionTooLarge(limit: 1).status == 431)
        #expect(HTTPParseError.tooManyFields(limit: 1).status == 431)
        #expect(HTTPParseError.trailerSectionTooLarge(limit: 1).status == 431)
        #expect(HTTPParseError.bodyTooLarge(limit: 1).status == 413)
        #expect(HTTPParseError.chunkFramingTooLarge(limit: 1).status == 413)
        #expect(HTTPParseError.unsupportedVersion.status == 505)
        #expect(HTTPParseError.unsupportedTransferEncoding.status == 400)
        #expect(HTTPParseError.unsupportedExpectation.status == 417)
    }

    @Test func carriesTheLimitInItsDescription() {
        #expect(HTTPParseError.headerSectionTooLarge(limit: 16384).description.contains("16384"))
        #expect(HTTPParseError.bodyTooLarge(limit: 1_048_576).description.contains("1048576"))
    }
}
