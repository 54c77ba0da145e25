// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
@testable import Sigstore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    if case .success(let checkpoint) = Checkpoint.parse(text) {
        check(checkpoint.rootHash.count == 32 && !checkpoint.signatures.isEmpty, "accepted a checkpoint without a 32-byte root or signatures")
    }
    return 0
}
