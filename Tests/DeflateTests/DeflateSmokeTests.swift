import Testing
@testable import Deflate

@Suite struct DeflateSmokeTests {
    @Test func moduleLinks() {
        _ = DeflateModule.self
    }
}
