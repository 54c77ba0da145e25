// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import Sigstore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    let data = Data(bytes: bytes, count: count)
    _ = try? SigstoreBundle.parse(data, source: "fuzz.sigstore.json")
    _ = try? InTotoStatement.parse(data, source: "fuzz statement")
    return 0
}
