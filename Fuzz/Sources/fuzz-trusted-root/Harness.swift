// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import Sigstore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    _ = try? TrustedRoot.parse(Data(bytes: bytes, count: count), source: "fuzz-trusted-root.json")
    return 0
}
