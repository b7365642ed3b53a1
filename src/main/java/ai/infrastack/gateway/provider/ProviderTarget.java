package ai.infrastack.gateway.provider;

/** Where one provider's calls go and with which key; {@code sandbox} when it is the built-in simulator. */
public record ProviderTarget(String provider, String baseUrl, String apiKey, boolean sandbox) {
}
