import Foundation
import TestSupport

/// TestSupport's temporary folder.
typealias TemporaryDirectory = TemporaryFolder

/// Runs a command line tool and returns its stdout; throws on a non-zero exit (TestSupport's ``ProcessRunner``).
@discardableResult
func run(_ arguments: [String], in directory: URL? = nil) throws -> Data {
    try ProcessRunner.run(arguments, in: directory).stdout
}
