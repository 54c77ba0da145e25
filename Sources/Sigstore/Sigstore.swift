/// The `Sigstore` module. See docs/architecture.md.
public enum SigstoreModule {}
