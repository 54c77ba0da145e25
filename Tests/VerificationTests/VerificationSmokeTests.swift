import Testing
@testable import Verification

@Suite struct VerificationSmokeTests {
    @Test func moduleLinks() {
        _ = VerificationModule.self
    }
}
