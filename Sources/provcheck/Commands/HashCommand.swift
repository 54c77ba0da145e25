import ArgumentParser
import Digest
import Foundation

/// `provcheck hash FILE…`: streaming digests of local files (also the benchmark entry point of
/// `Scripts/bench-sha512.sh`).
struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the SRI digests of files, hashing every algorithm in one streaming pass.",
        discussion: """
        Examples:
          provcheck hash package.tgz
          provcheck hash -a sha1 -a sha512 a.tgz b.tgz --json
          provcheck hash big.tgz --timing

        Exit codes: 0 every file was hashed; 2 a file could not be read.
        """
    )

    @Option(name: [.short, .long],
            help: ArgumentHelp("Algorithm to compute (sha1, sha256, sha384, sha512); repeat for several.", valueName: "algorithm"))
    var algorithm: [HashAlgorithm] = [.sha512]

    @Flag(name: .long, help: "Also print the elapsed time and throughput on stderr.")
    var timing: Bool = false

    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("Files to hash.", valueName: "file"))
    var files: [String]

    func run() throws {
        var results: [[String: String]] = []
        for file in files {
            let url = URL(fileURLWithPath: file)
            let start = DispatchTime.now().uptimeNanoseconds
            let digests: DigestSet
            do {
                digests = try Hashing.digest(fileAt: url, algorithms: Set(algorithm))
            } catch {
                throw CommandFailure("hash", error)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if timing {
                let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.doubleValue ?? 0
                let line = String(format: "%@: %.0f bytes in %.3f s = %.1f MB/s\n", file, size, seconds, size / seconds / 1e6)
                FileHandle.standardError.write(Data(line.utf8))
            }
            if output.json {
                var object = ["file": file]
                for a in digests.algorithms { object[a.rawValue] = digests.sri(a)! }
                results.append(object)
            } else {
                print("\(digests)  \(file)")
            }
        }
        if output.json {
            print(try JSONRendering.string(results))
        }
    }
}

extension HashAlgorithm: ExpressibleByArgument {}
