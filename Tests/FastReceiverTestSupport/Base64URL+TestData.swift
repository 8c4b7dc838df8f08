internal import FastReceiverVerification
internal import Foundation


/// Decodes strict base64url for test data.
public func decodeBase64URL(_ text: String) -> [UInt8]? {
    let input = Array(text.utf8)
    var output = [UInt8](repeating: 0, count: input.count)
    let count = input.withUnsafeBytes { source in output.withUnsafeMutableBytes { Base64URL.decode(source, into: $0) } }
    return count.map { Array(output.prefix($0)) }
}
