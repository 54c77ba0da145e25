import Foundation

extension PackageSource {
    /// Writes every file, directory and symlink of the source under `folder` (a new folder: it must not exist yet), with the
    /// source's file modes: the checkout a build runs in (module `Build`, `--build-command`).
    /// - Throws: ``RebuildError`` or ``SourceError`` when a file cannot be read or written.
    public func materialize(into folder: URL) throws {
        try BuildRunner.materialize(self, into: folder)
    }
}
