// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import Registry

private let url = URL(string: "http://127.0.0.1/fuzz")!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    let data = Data(bytes: bytes, count: count)
    _ = try? Packument.decode(data, from: url)
    _ = try? AttestationsResponse.decode(data, from: url)
    return 0
}
