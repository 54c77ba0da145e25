import Testing
@testable import Archive

@Suite struct ArchiveSmokeTests {
    @Test func moduleLinks() {
        _ = ArchiveModule.self
    }
}
