// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import Sigstore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? TrustedRoot.parse(Data(bytes: bytes, count: count), source: "fuzz-trusted-root.json")
    return 0
}
