/// The `Archive` module. See docs/architecture.md.
public enum ArchiveModule {}
