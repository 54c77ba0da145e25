// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import Registry
@testable import Sigstore

/// The byte-level JSON parser and writer: parse → write → parse must be a fixed point, and the writer's output
/// must be JSON that Foundation accepts. Rekor's canonical string quoting must round-trip through Foundation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    let data = Data(bytes: bytes, count: count)
    if let value = try? RawJSON(parsing: data) {
        let written = value.encoded()
        guard let again = try? RawJSON(parsing: written) else { preconditionFailure("writer output does not parse") }
        precondition(again == value, "parse(write(x)) != x")
        precondition(again.encoded() == written, "writer is not deterministic")
        precondition((try? JSONSerialization.jsonObject(with: written, options: [.fragmentsAllowed])) != nil,
                     "Foundation rejects the writer's output")
    }
    let text = String(decoding: data, as: UTF8.self)
    let quoted = RekorCanonicalJSON.quote(text)
    let decoded = try? JSONSerialization.jsonObject(with: Data(quoted.utf8), options: [.fragmentsAllowed]) as? String
    precondition(decoded == text, "canonical quoting does not round-trip")
    return 0
}
