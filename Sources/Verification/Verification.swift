/// The `Verification` module. See docs/architecture.md.
public enum VerificationModule {}
