import Foundation
import Testing
import TestSupport
import VerdictSupport
@testable import Verification

@Suite struct VerdictTests {
    @Test func everyRequiredCheckPassedIsVerified() {
        #expect(OverallResult.derive(from: [SampleVerdict.passing, SampleVerdict.notApplicable], strictness: .standard) == .verified)
        #expect(OverallResult.derive(from: [SampleVerdict.passing, SampleVerdict.notApplicable], strictness: .strict) == .verified)
    }

    @Test func anyFailureFails() {
        #expect(OverallResult.derive(from: [SampleVerdict.passing, SampleVerdict.failing, SampleVerdict.skippedRequired], strictness: .standard) == .failed)
    }

    @Test func skippedIsNeverPassed() {
        #expect(OverallResult.derive(from: [SampleVerdict.passing, SampleVerdict.skippedRequired], strictness: .standard) == .incomplete)
        #expect(OverallResult.derive(from: [SampleVerdict.passing, SampleVerdict.skippedRequired], strictness: .strict) == .failed)
    }

    @Test func optionalSkipDoesNotBlockButStrictFailsIt() {
        #expect(OverallResult.derive(from: [SampleVerdict.passing, SampleVerdict.skippedOptional], strictness: .standard) == .verified)
        #expect(OverallResult.derive(from: [SampleVerdict.passing, SampleVerdict.skippedOptional], strictness: .strict) == .failed)
    }

    @Test func nothingPassedIsNotVerified() {
        #expect(OverallResult.derive(from: [], strictness: .standard) == .incomplete)
        #expect(OverallResult.derive(from: [SampleVerdict.notApplicable], strictness: .standard) == .incomplete)
    }

    @Test func jsonRoundTripsAndHasTheDocumentedShape() throws {
        let verdict = SampleVerdict.verdict()
        let data = try verdict.jsonData()
        let decoded = try JSONDecoder().decode(Verdict.self, from: data)
        #expect(decoded == verdict)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1)
        #expect(object["overall"] as? String == "failed")
        #expect(object["verifiedAt"] as? String == "2024-06-03T22:18:01Z")
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.map { $0["status"] as? String } == ["pass", "fail", "skipped", "skipped", "not-applicable"])
        #expect(checks[2]["statusReason"] as? String == "no registry keys")
        #expect(checks[0]["statusReason"] == nil)
        #expect((object["counts"] as? [String: Int]) == ["pass": 1, "fail": 1, "skipped": 2, "not-applicable": 1])
        #expect(String(decoding: data, as: UTF8.self).contains("\"http://127.0.0.1:1/@scope/pkg/-/pkg-1.2.3.tgz\""))
    }

    @Test func jsonValidatesAgainstTheDocumentedSchema() throws {
        let errors = try SchemaValidation.errors(try SampleVerdict.verdict().jsonData(), schema: "verdict.schema.json")
        #expect(errors == [])
    }

    @Test func overallIsRederivedOnDecodeNotTrusted() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: SampleVerdict.verdict().jsonData()) as? [String: Any])
        object["overall"] = "verified"
        let tampered = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONDecoder().decode(Verdict.self, from: tampered).overall == .failed)
    }

    @Test func unknownStatusIsAnError() throws {
        let json = #"{"id":"registry.integrity","title":"t","status":"ok","required":true,"evidence":{},"reasons":[]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Check.self, from: Data(json.utf8)) }
    }

    @Test func purlEncodesTheScope() {
        #expect(PackageURL.npm(name: "@trishankatdatadog/supreme-goggles", version: "1.0.5")
            == "pkg:npm/%40trishankatdatadog/supreme-goggles@1.0.5")
        #expect(PackageURL.npm(name: "gundam-visor", version: "1.0.1") == "pkg:npm/gundam-visor@1.0.1")
    }
}
