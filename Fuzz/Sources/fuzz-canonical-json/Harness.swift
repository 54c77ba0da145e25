// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import JSON
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
        guard let again = try? RawJSON(parsing: written) else { check(false, "writer output does not parse"); abort() }
        check(again == value, "parse(write(x)) != x")
        check(again.encoded() == written, "writer is not deterministic")
        // Differential: what Foundation accepts as input, it must accept after our writer too. (Numbers such as
        // 1e999999 are kept verbatim by design and Foundation rejects them either way.)
        if (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
            check((try? JSONSerialization.jsonObject(with: written, options: [.fragmentsAllowed])) != nil,
                  "Foundation accepts the input but rejects the writer's output")
        }
    }
    let text = String(decoding: data, as: UTF8.self)
    let quoted = RekorCanonicalJSON.quote(text)
    // Our own parser must give the text back exactly.
    check((try? RawJSON(parsing: Data(quoted.utf8))) == .string(text), "canonical quoting does not round-trip (RawJSON)")
    // Foundation must agree, except that it drops a U+FEFF at the start of a string value and right after an escape
    // sequence (it decodes the runs between escapes the way String(data:encoding: .utf8) does, which strips a leading
    // byte-order mark; fuzz findings 2026-11-28). So Foundation is compared with every U+FEFF removed on both sides.
    let decoded = try? JSONSerialization.jsonObject(with: Data(quoted.utf8), options: [.fragmentsAllowed]) as? String
    func withoutBOMs(_ text: String?) -> String? {
        text.map { String(String.UnicodeScalarView($0.unicodeScalars.filter { $0 != "\u{FEFF}" })) }
    }
    check(decoded == text || withoutBOMs(decoded) == withoutBOMs(text), "canonical quoting does not round-trip (Foundation)")
    return 0
}
