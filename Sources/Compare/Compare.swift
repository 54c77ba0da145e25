/// The `Compare` module. See docs/architecture.md.
public enum CompareModule {}
