internal import FastReceiverMetrics
internal import FastReceiverVerification

/// What one worker's ingest pipeline counts: events stored and deduplicated, refusals by reason,
/// verification and secret-reload failures. Written only by that worker.
public final class IngestMetrics: Sendable {
    private static let acceptedIndex = 0
    private static let duplicateIndex = 1
    private static let cryptoFailuresIndex = 2
    private static let secretReloadFailuresIndex = 3
    private static let rejectionBase = 4

    private let block: CounterBlock

    public init() {
        block = CounterBlock(count: Self.rejectionBase + SignatureRejection.labels.count)
    }

    func countAccepted() { block.add(Self.acceptedIndex) }
    func countDuplicate() { block.add(Self.duplicateIndex) }
    func countRejection(_ reason: SignatureRejection) { block.add(Self.rejectionBase + reason.labelIndex) }
    /// OpenSSL failed while a request was verified (answered 500).
    func countCryptoFailure() { block.add(Self.cryptoFailuresIndex) }
    /// Replaced secrets could not be loaded into this worker's verifier, which kept the old ones.
    func countSecretReloadFailure() { block.add(Self.secretReloadFailuresIndex) }

    var accepted: Int64 { block.load(Self.acceptedIndex) }
    var duplicates: Int64 { block.load(Self.duplicateIndex) }
    /// Requests refused for `SignatureRejection.labels[position]`.
    func rejections(at position: Int) -> Int64 { block.load(Self.rejectionBase + position) }
    var cryptoFailures: Int64 { block.load(Self.cryptoFailuresIndex) }
    var secretReloadFailures: Int64 { block.load(Self.secretReloadFailuresIndex) }
}
