// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import NPMTrust

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    let data = Data(bytes: bytes, count: count)
    if let keys = try? TrustedRegistryKeys(json: data, source: "fuzz-keys.json") {
        for key in keys.keys { _ = key.isValidSignature([0x30, 0x00], for: [1, 2, 3]) }
    }
    return 0
}
