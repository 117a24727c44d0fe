/// A reader of the protocol-buffers wire format (what ONNX files are), over bytes in memory.
///
/// Only the wire format: varints, fixed 32/64-bit values and length-delimited fields. Every read
/// is bounds-checked and throws `ModelError` on malformed input (a truncated file, a length past
/// the end, a varint longer than ten bytes), so a hostile file is an error, never a crash.
struct ProtoReader {
    enum Wire: Int { case varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 }

    let bytes: [UInt8]
    private(set) var at: Int
    let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        at = 0
        end = bytes.count
    }

    private init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        at = range.lowerBound
        end = range.upperBound
    }

    /// The next field's number and wire type; nil at the end of the message.
    mutating func field() throws(ModelError) -> (number: Int, wire: Wire)? {
        guard at < end else { return nil }
        let key = try varint()
        guard let wire = Wire(rawValue: Int(key & 7)) else {
            throw ModelError("malformed protobuf: wire type \(key & 7) at byte \(at)")
        }
        let number = Int(truncatingIfNeeded: key >> 3)
        guard number > 0 else { throw ModelError("malformed protobuf: field number 0 at byte \(at)") }
        return (number, wire)
    }

    mutating func varint() throws(ModelError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard at < end else { throw ModelError("malformed protobuf: the data ends inside a number") }
            let b = bytes[at]
            at += 1
            if shift == 63 && b > 1 { throw ModelError("malformed protobuf: a number longer than 64 bits") }
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 { return value }
        }
        throw ModelError("malformed protobuf: a number longer than ten bytes")
    }

    mutating func fixed32() throws(ModelError) -> UInt32 {
        guard end - at >= 4 else { throw ModelError("malformed protobuf: the data ends inside a 32-bit value") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[at + i]) << UInt32(8 * i) }
        at += 4
        return v
    }

    mutating func fixed64() throws(ModelError) -> UInt64 {
        guard end - at >= 8 else { throw ModelError("malformed protobuf: the data ends inside a 64-bit value") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[at + i]) << UInt64(8 * i) }
        at += 8
        return v
    }

    /// The byte range of a length-delimited field.
    mutating func lengthDelimited() throws(ModelError) -> Range<Int> {
        let n = try varint()
        guard n <= UInt64(end - at) else { throw ModelError("malformed protobuf: a field of \(n) bytes runs past the end") }
        let range = at..<(at + Int(n))
        at += Int(n)
        return range
    }

    /// A reader over an embedded message.
    mutating func message() throws(ModelError) -> ProtoReader {
        ProtoReader(bytes, range: try lengthDelimited())
    }

    mutating func string() throws(ModelError) -> String {
        String(decoding: bytes[try lengthDelimited()], as: UTF8.self)
    }

    mutating func skip(_ wire: Wire) throws(ModelError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .bytes: _ = try lengthDelimited()
        }
    }

    /// A repeated integer field, packed (one length-delimited run) or not (one value).
    mutating func integers(_ wire: Wire, into values: inout [Int64]) throws(ModelError) {
        if wire == .bytes {
            var packed = ProtoReader(bytes, range: try lengthDelimited())
            while packed.at < packed.end { values.append(Int64(bitPattern: try packed.varint())) }
        } else {
            guard wire == .varint else { throw ModelError("malformed protobuf: an integer with wire type \(wire)") }
            values.append(Int64(bitPattern: try varint()))
        }
    }

    /// A repeated float field, packed or not.
    mutating func floats(_ wire: Wire, into values: inout [Float]) throws(ModelError) {
        if wire == .bytes {
            var packed = ProtoReader(bytes, range: try lengthDelimited())
            guard (packed.end - packed.at) % 4 == 0 else { throw ModelError("malformed protobuf: packed floats of odd length") }
            while packed.at < packed.end { values.append(Float(bitPattern: try packed.fixed32())) }
        } else {
            guard wire == .fixed32 else { throw ModelError("malformed protobuf: a float with wire type \(wire)") }
            values.append(Float(bitPattern: try fixed32()))
        }
    }
}

/// A model file that cannot be read or run: what is wrong, in words.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
