package ai.infrastack.gateway.sandbox;

/** Per-request facts that an OpenAI-compatible vendor's headers and bodies share. */
final class ChatCall {
    final RequestHash hash;
    final SandboxDirectives directives;
    final long defaultLatencyMs;
    final long created = System.currentTimeMillis() / 1000;
    /** Input tokens (at least the cached ones a directive asks for); 0 until the request is read. */
    int promptTokens;

    ChatCall(RequestHash hash, SandboxDirectives directives, long defaultLatencyMs) {
        this.hash = hash;
        this.directives = directives;
        this.defaultLatencyMs = defaultLatencyMs;
    }

    ChatCall withDirectives(SandboxDirectives newDirectives) {
        return new ChatCall(hash, newDirectives, defaultLatencyMs);
    }
}
