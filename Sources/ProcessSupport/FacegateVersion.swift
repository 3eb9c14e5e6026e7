/// facegate's version: what `facegate --version` prints and what the broker tells Home
/// Assistant (`sw_version`). One copy, so the two never disagree.
public enum FacegateVersion {
    public static let current = "0.1.0"
}
