// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import Digest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    if let integrity = try? Integrity(text) {
        // Round trip: the rendered form parses to the same hashes (the rendering drops ignored tokens by design).
        let again = try? Integrity(integrity.description)
        check(again?.hashes == integrity.hashes && again?.ignored == [], "Integrity round trip changed \(integrity)")
        _ = integrity.verify(data: Data("x".utf8))
    }
    _ = try? Shasum(text)
    _ = DigestEncoding.bytes(fromHex: text)
    return 0
}
