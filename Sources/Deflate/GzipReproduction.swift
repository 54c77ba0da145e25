import Archive
import Foundation

/// The settings that reproduced a registry tarball's bytes from its tar.
public struct GzipReproduction: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The deflate settings and hash mode (zlib build) that matched.
    public let parameters: DeflateParameters
    /// The gzip header that matched.
    public let header: GzipHeader
    /// How many candidate (parameters, header) pairs were hashed, this one included.
    public let attempts: Int

    public var description: String { "\(parameters), \(header) (after \(attempts) attempts)" }
}

/// A gzip setting to try: deflate parameters and the headers to try with that deflate stream.
public struct GzipCandidate: Hashable, Sendable {
    /// The deflate parameters (one compression of the tar).
    public let parameters: DeflateParameters
    /// The headers to try in front of that stream (hashing only, no recompression).
    public let headers: [GzipHeader]
}

extension NPMGzip {
    /// The OS bytes zlib's own gzip header carries (npm 5/6, tar 4), most likely first: 3 Unix, 19 macOS with
    /// zlib ≥ 1.2.11, 7 macOS with older zlib, 10 Windows (zlib's `OS_CODE`; see docs/reproducibility notes). The
    /// one table every gzip candidate list in provcheck uses; the fixtures show 3 and 19.
    public static let zlibOSCodes: [UInt8] = [3, 19, 7, 10]

    /// The OS byte node-tar ≥ 5.0.5 forces with `portable` (npm ≥ 7, every platform).
    public static let portableOS: UInt8 = 255

    /// Level-6 header OS bytes: zlib's, then the portable one of npm 7.0–7.6 (default level).
    static let legacyOSBytes: [UInt8] = zlibOSCodes + [portableOS]

    /// The settings to try for a version published with `npmVersion` on `nodeVersion` (the
    /// packument's `_npmVersion` / `_nodeVersion`, nil when unknown), most likely first.
    /// npm ≥ 7 first tries level 9 with the `.npm7` header; npm 5/6 first tries zlib's default
    /// level 6 with the zlib header and each known OS byte. memLevel is always 8 (Node's default).
    public static func candidates(nodeVersion: String?, npmVersion: String?) -> [GzipCandidate] {
        let modes = NodeZlibClass.candidateModes(forNodeVersion: nodeVersion)
        let level9 = modes.map {
            GzipCandidate(parameters: .npm7($0),
                          headers: [.npm7, .zlib(level: 9, os: 3), .zlib(level: 9, os: 19)])
        }
        let level6 = modes.map { mode in
            GzipCandidate(parameters: DeflateParameters(level: 6, memLevel: 8, mode: mode),
                          headers: legacyOSBytes.map { GzipHeader.zlib(level: 6, os: $0) })
        }
        let npmMajor = npmVersion.flatMap(NodeZlibClass.parse).map(\.0)
        if let npmMajor, npmMajor < 7 { return level6 + level9 }
        return level9 + level6
    }

    /// Finds the settings whose gzip of `tar` has the SHA-512 `expectedSHA512` (64 raw bytes),
    /// trying ``candidates(nodeVersion:npmVersion:)`` in order. Returns nil when none matches
    /// (the tar may still be identical: the publisher's zlib is then not one this engine reproduces).
    public static func findReproduction(
        tar: Data, expectedSHA512: Data, nodeVersion: String? = nil, npmVersion: String? = nil
    ) throws -> GzipReproduction? {
        guard expectedSHA512.count == 64 else {
            throw DeflateError.unsupportedIntegrity("\(expectedSHA512.count) raw bytes")
        }
        let trailer = trailer(for: tar)
        var attempts = 0
        for candidate in candidates(nodeVersion: nodeVersion, npmVersion: npmVersion) {
            let body = try Deflate.compress(tar, parameters: candidate.parameters)
            for header in candidate.headers {
                attempts += 1
                if SHA512.hash([header.bytes, body, trailer]) == expectedSHA512 {
                    return GzipReproduction(parameters: candidate.parameters, header: header, attempts: attempts)
                }
            }
        }
        return nil
    }

    /// As ``findReproduction(tar:expectedSHA512:nodeVersion:npmVersion:)`` with an SRI
    /// `integrity` string (`sha512-<base64>`; other algorithms in a multi-hash string are skipped).
    public static func findReproduction(
        tar: Data, integrity: String, nodeVersion: String? = nil, npmVersion: String? = nil
    ) throws -> GzipReproduction? {
        try findReproduction(tar: tar, expectedSHA512: sha512(fromIntegrity: integrity),
                             nodeVersion: nodeVersion, npmVersion: npmVersion)
    }

    /// The 64 digest bytes of the `sha512-…` entry of an SRI string.
    public static func sha512(fromIntegrity integrity: String) throws -> Data {
        for token in integrity.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            guard token.hasPrefix("sha512-") else { continue }
            var base64 = String(token.dropFirst("sha512-".count))
            if let q = base64.firstIndex(of: "?") { base64 = String(base64[..<q]) }
            if let digest = Data(base64Encoded: base64), digest.count == 64 { return digest }
        }
        throw DeflateError.unsupportedIntegrity(integrity)
    }

    /// SHA-512 of a byte string (the module's own implementation; exposed for callers that
    /// hash candidate tarballs without another crypto dependency).
    public static func sha512(_ data: Data) -> Data { SHA512.hash([data]) }
}
