package ai.infrastack.gateway.limits;

/**
 * A store's answer to "may this request start": whether it was admitted (and then counted, its
 * token estimate reserved in {@code bucket}), and the key's usage after the decision.
 */
public record Admission(boolean admitted, long bucket, WindowCounts counts) {
}
