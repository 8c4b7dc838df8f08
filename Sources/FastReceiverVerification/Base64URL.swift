/// Strict unpadded base64url (RFC 4648 §5), the encoding of every JWT segment.
///
/// Strict means: only `A–Z a–z 0–9 - _`, no `=` padding, no whitespace, a length that is not
/// 1 mod 4, and unused trailing bits that are zero — so each byte string has exactly one
/// accepted spelling.
public enum Base64URL {
    /// The decoded size of `count` characters, or nil when no valid encoding has that length.
    public static func decodedCount(_ count: Int) -> Int? {
        count % 4 == 1 ? nil : count / 4 * 3 + max(count % 4 - 1, 0)
    }

    /// Decodes `input` into the start of `output`.
    /// - Returns: the number of bytes written, or nil when `input` is not strict base64url or
    ///   `output` is too small.
    public static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard let count = decodedCount(input.count), count <= output.count else { return nil }
        return table.withUnsafeBufferPointer { decode(input, into: output, table: $0) }
    }

    private static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                               table: UnsafeBufferPointer<UInt8>) -> Int? {
        var written = 0
        var index = 0
        let fullGroups = input.count / 4 * 4
        while index < fullGroups {
            let a = table[Int(input[index])], b = table[Int(input[index + 1])]
            let c = table[Int(input[index + 2])], d = table[Int(input[index + 3])]
            guard (a | b | c | d) & 0x80 == 0 else { return nil }
            let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
            output[written] = UInt8(truncatingIfNeeded: group >> 16)
            output[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
            output[written + 2] = UInt8(truncatingIfNeeded: group)
            written += 3
            index += 4
        }
        switch input.count - fullGroups {
        case 2:
            let a = table[Int(input[index])], b = table[Int(input[index + 1])]
            guard (a | b) & 0x80 == 0, b & 0x0F == 0 else { return nil }
            output[written] = a << 2 | b >> 4
            written += 1
        case 3:
            let a = table[Int(input[index])], b = table[Int(input[index + 1])], c = table[Int(input[index + 2])]
            guard (a | b | c) & 0x80 == 0, c & 0x03 == 0 else { return nil }
            output[written] = a << 2 | b >> 4
            output[written + 1] = b << 4 | c >> 2
            written += 2
        default:
            break
        }
        return written
    }

    /// Encodes `bytes` as unpadded base64url.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) { return encoded }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }

    /// Encodes `bytes` as unpadded base64url, three bytes to four characters at a time.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        let remainder = bytes.count % 3
        let count = bytes.count / 3 * 4 + (remainder == 0 ? 0 : remainder + 1)
        return alphabet.withUnsafeBufferPointer { alphabet in
            String(unsafeUninitializedCapacity: count) { out in
                var written = 0
                var index = 0
                while index + 3 <= bytes.count {
                    let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                    out[written] = alphabet[Int(group >> 18)]
                    out[written + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    out[written + 2] = alphabet[Int(group >> 6 & 0x3F)]
                    out[written + 3] = alphabet[Int(group & 0x3F)]
                    written += 4
                    index += 3
                }
                switch bytes.count - index {
                case 1:
                    let group = UInt32(bytes[index]) << 16
                    out[written] = alphabet[Int(group >> 18)]
                    out[written + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    written += 2
                case 2:
                    let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
                    out[written] = alphabet[Int(group >> 18)]
                    out[written + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    out[written + 2] = alphabet[Int(group >> 6 & 0x3F)]
                    written += 3
                default:
                    break
                }
                return written
            }
        }
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Each byte's 6-bit value, or 0x80 for bytes outside the alphabet.
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0x80, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()
}
