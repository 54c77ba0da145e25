/// The `Registry` module. See docs/architecture.md.
public enum RegistryModule {}
