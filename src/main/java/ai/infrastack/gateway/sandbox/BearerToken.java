package ai.infrastack.gateway.sandbox;

/** The key of an {@code Authorization: Bearer <key>} header, as OpenAI, Mistral, Together and Cohere send it. */
final class BearerToken {

    private BearerToken() {
    }

    /** The key, or null when the header is missing, not Bearer, or empty. */
    static String from(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = authorization.substring(7).trim();
        return key.isEmpty() ? null : key;
    }
}
