import ArgumentParser
import FastReceiver
import Foundation

/// `fast-receiver send`: posts DT-shaped, DT-signed events, so a newcomer can see the receiver work.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Post signed DT-style events to a receiver and print each answer.",
        discussion: "Signs with DT_SIGNATURE_SECRET, as DT Cloud would. Exits 1 if any answer was not 2xx."
    )

    enum EventTypeChoice: String, ExpressibleByArgument, CaseIterable {
        case all, touch, temperature, objectPresent, humidity, objectPresentCount, touchCount, waterPresent
        case networkStatus, batteryStatus, labelsChanged, connectionStatus, co2, pressure, motion
        case deskOccupancy, contact
    }

    @Option(help: ArgumentHelp("Where to post, e.g. http://127.0.0.1:8080/.", valueName: "url"))
    var url: String

    @Option(help: ArgumentHelp("How many events to send.", valueName: "n"))
    var count: Int = 10

    @Option(help: ArgumentHelp("Event type; all cycles through every type.", valueName: "type"))
    var type: EventTypeChoice = .all

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1.") }
    }

    func run() throws {
        do {
            let secrets = try SecretSource(environment: ProcessInfo.processInfo.environment).load()
            let factory = DTEventFactory(secret: secrets[0])
            let connection = HTTPClientConnection(endpoint: try HTTPClientConnection.Endpoint(url: url))
            let types = type == .all ? DTEventFactory.EventType.allCases : [DTEventFactory.EventType(rawValue: type.rawValue)!]
            var failures = 0
            for index in 0..<count {
                let request = try factory.request(type: types[index % types.count], device: index % 8)
                let response: HTTPClientConnection.Response
                do {
                    response = try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"])
                } catch {
                    print("\(request.eventID) \(request.type.rawValue): no answer (\(error))")
                    failures += 1
                    connection.disconnect()
                    continue
                }
                let reason = response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
                print("\(response.status) \(request.eventID) \(request.type.rawValue)\(response.status == 200 ? "" : ": \(reason)")")
                if !(200..<300).contains(response.status) { failures += 1 }
            }
            if failures > 0 { throw ExitCode(1) }
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("fast-receiver: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
