internal import ArgumentParser
internal import FastReceiverCrypto
internal import FastReceiverSystem
internal import FastReceiverTools
internal import FastReceiverVerification
internal import Foundation

/// `fast-receiver send`: posts DT-shaped, DT-signed events, one at a time so a newcomer can see the
/// receiver work, or as a load generator that reports throughput and latency percentiles.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Post signed DT-style events to a receiver: one by one, or as a load test.",
        discussion: """
            Signs with DT_SIGNATURE_SECRET, as DT Cloud would. Without --rate, --concurrency, \
            --duration or --json, posts --count events (default 10) one at a time and prints each \
            answer. With any of them, runs a load test and prints one summary: requests, achieved \
            rate, answers by status, connection errors, and latency percentiles (p50, p90, p99, \
            p99.9, max) from an HDR histogram.

            --rate makes it open loop: requests are due at fixed intervals whether or not the \
            receiver keeps up, and each latency is measured from its due time, so a stalled receiver \
            shows in the tail instead of slowing the generator down. Without --rate each connection \
            sends its next request when the previous answer arrives (closed loop). The run stops at \
            --count or --duration, whichever comes first (default: 10 seconds).

            Up to 200000 distinct events are signed before the clock starts; a longer run signs \
            fresh ones in the background, and should that fall behind resends pooled ones, which the \
            receiver treats as redeliveries: the summary then says how many.

            Exits 1 if any request was not answered 2xx.
            """
    )

    enum EventTypeChoice: String, ExpressibleByArgument, CaseIterable {
        case all, touch, temperature, objectPresent, humidity, objectPresentCount, touchCount, waterPresent
        case networkStatus, batteryStatus, labelsChanged, connectionStatus, co2, pressure, motion
        case deskOccupancy, contact
    }

    @Option(help: ArgumentHelp("Where to post, e.g. http://127.0.0.1:8080/ or https://receiver.example.com/.", valueName: "url"))
    var url: String

    @OptionGroup var tls: ClientTLSOptions

    @Option(help: ArgumentHelp("How many events to send. Default 10 one by one; no limit in a load test.", valueName: "n"))
    var count: Int?

    @Option(help: ArgumentHelp("Event type; all cycles through every type.", valueName: "type"))
    var type: EventTypeChoice = .all

    @Option(help: ArgumentHelp("Load test, open loop: requests per second, sent on schedule.", valueName: "requests-per-second"))
    var rate: Double?

    @Option(help: ArgumentHelp("Load test: keep-alive connections. Default 16 with --rate, else 1.", valueName: "connections"))
    var concurrency: Int?

    @Option(help: ArgumentHelp("Load test: seconds to send for. Default 10 when --count is not given.", valueName: "seconds"))
    var duration: Double?

    @Flag(help: "Load test: print the summary as one JSON object (latencies in microseconds).")
    var json = false

    private var isLoadTest: Bool { rate != nil || concurrency != nil || duration != nil || json }

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number of requests per second.") }
        if let concurrency, !(1...10_000).contains(concurrency) { throw ValidationError("--concurrency must be between 1 and 10000.") }
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("--duration must be a positive number of seconds.") }
    }

    func run() throws {
        do {
            let secrets = try SecretSource(environment: ProcessInfo.processInfo.environment).load()
            let factory = DTEventFactory(secret: secrets[0])
            let endpoint = try HTTPClientConnection.Endpoint(url: url)
            let context = endpoint.isTLS ? try tls.context() : nil
            let types = type == .all ? DTEventFactory.EventType.allCases : DTEventFactory.EventType(rawValue: type.rawValue).map { [$0] } ?? []
            let isSuccess = isLoadTest
                ? try runLoadTest(factory: factory, endpoint: endpoint, tls: context, types: types)
                : try sendOneByOne(factory: factory, endpoint: endpoint, tls: context, types: types)
            if !isSuccess { throw ExitCode(1) }
        } catch let error as SecretSourceError {
            throw ExitCode.refusal(printing: error)
        } catch let error as ClientError {
            throw ExitCode.refusal(printing: error)
        } catch let error as TLSContextError {
            throw ExitCode.refusal(printing: error)
        }
    }

    /// Posts `count` events on one connection and prints each answer; returns whether all were 2xx.
    private func sendOneByOne(factory: DTEventFactory, endpoint: HTTPClientConnection.Endpoint, tls: TLSClientContext?,
                              types: [DTEventFactory.EventType]) throws -> Bool {
        let connection = HTTPClientConnection(endpoint: endpoint, tls: tls)
        let signer = try DTEventSigner(factory: factory)
        var failures = 0
        for index in 0..<(count ?? 10) {
            let request = try signer.request(type: types[index % types.count], device: index % 8)
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
        return failures == 0
    }

    /// Runs the load test and prints its summary; returns whether every request was answered 2xx.
    private func runLoadTest(factory: DTEventFactory, endpoint: HTTPClientConnection.Endpoint, tls: TLSClientContext?,
                             types: [DTEventFactory.EventType]) throws -> Bool {
        let plan = try LoadPlan(rate: rate, connections: concurrency ?? (rate == nil ? 1 : 16), count: count,
                                duration: duration ?? (count == nil ? 10 : nil))
        let supply = try SignedRequestSupply(factory: factory, endpoint: endpoint, types: types, plan: plan)
        FileHandle.standardError.write(Data("fast-receiver: signed \(supply.poolCount) events in \(String(format: "%.2f", supply.poolSigningSeconds)) s\n".utf8))
        var generator = try LoadGenerator(endpoint: endpoint, plan: plan, supply: supply, recorder: HistogramLatencyRecorder(), tls: tls)
        let report: LoadReport
        do {
            report = try generator.run()
        } catch let error as SystemError {
            FileHandle.standardError.write(Data("fast-receiver: no load test against \(endpoint.host):\(endpoint.port): \(error)\n".utf8))
            return false
        }
        print(json ? report.json : report.summary)
        return report.isSuccess
    }
}
