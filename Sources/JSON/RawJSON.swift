import Foundation

/// A JSON value as received from the registry, kept where a typed model would lose information
/// (unknown fields, Sigstore bundles, `_npmUser.approver`).
///
/// Numbers keep their literal text (``number(_:)``) so integers round-trip exactly.
/// Objects are encoded with sorted keys (member order of the original is not kept).
public enum RawJSON: Sendable, Hashable, Codable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A number, as its JSON literal text (for example `"42"` or `"1.5e3"`).
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([RawJSON])
    /// An object (member order is not kept; encoding sorts keys).
    case object([String: RawJSON])

    /// Creates a value from an integer.
    public static func int(_ value: Int) -> RawJSON { .number(String(value)) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .number(String(value))
        } else if let value = try? container.decode(Double.self) {
            self = .number(Self.literal(value))
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([RawJSON].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: RawJSON].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let text):
            if let integer = Int64(text) {
                try container.encode(integer)
            } else {
                try container.encode(Double(text) ?? 0)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    private static func literal(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// The member named `key` of an object, or `nil` (also for non-objects). Setting on a non-object
    /// turns the value into an object holding only that member; setting `nil` removes the member.
    public subscript(key: String) -> RawJSON? {
        get {
            if case .object(let members) = self { return members[key] }
            return nil
        }
        set {
            var members: [String: RawJSON]
            if case .object(let existing) = self { members = existing } else { members = [:] }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// The string payload, or `nil` for other kinds.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The object members, or `nil` for other kinds.
    public var objectValue: [String: RawJSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The array elements, or `nil` for other kinds.
    public var arrayValue: [RawJSON]? {
        if case .array(let value) = self { return value }
        return nil
    }
}

extension RawJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: RawJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, RawJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
