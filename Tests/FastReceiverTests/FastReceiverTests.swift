import Testing
@testable import FastReceiver

@Test func versionIsSemantic() {
    #expect(FastReceiver.version.split(separator: ".").count == 3)
}
