package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Chat Completions as OpenAI defined it and the hosts that copy it (OpenAI, Mistral, Together):
 * {@code POST <prefix>/v1/chat/completions} with Bearer auth, validated by {@link ChatCompletionsRequest}.
 * This class is the one implementation; a {@link ChatCompletionsDialect} holds each vendor's rules — which
 * fields it refuses and how, its ids, the shape of its answers and chunks, its headers and error bodies.
 */
final class ChatCompletionsSimulator implements VendorSimulator {

    private final ChatCompletionsDialect dialect;
    private final String chatCompletions;

    ChatCompletionsSimulator(ChatCompletionsDialect dialect) {
        this.dialect = dialect;
        this.chatCompletions = dialect.pathPrefix() + "/v1/chat/completions";
    }

    @Override
    public String format() {
        return dialect.format();
    }

    @Override
    public String pathPrefix() {
        return dialect.pathPrefix();
    }

    @Override
    public String basePath() {
        return dialect.pathPrefix() + "/v1";
    }

    @Override
    public SandboxResponse handle(RecordedRequest request, long defaultLatencyMs) {
        ChatCall call = new ChatCall(RequestHash.of(request.body()), SandboxDirectives.parse(null), defaultLatencyMs);
        String vendorPath = request.path().substring(dialect.pathPrefix().length());
        if (!chatCompletions.equals(request.path())) {
            return dialect.notFound(call, request.method(), vendorPath);
        }
        if (!"POST".equals(request.method())) {
            return dialect.methodNotAllowed(call, request.method(), vendorPath);
        }
        String key = BearerToken.from(request.header("authorization"));
        if (key == null || key.contains("invalid")) {
            return dialect.unauthorized(call, key);
        }
        JsonNode root = SandboxJson.readOrNull(request.body());
        if (root == null || !root.isObject()) {
            return dialect.unparseable(call);
        }
        call = call.withDirectives(SandboxDirectives.parse(ChatCompletionsRequest.directiveText(root.path("messages")), request));
        try {
            SandboxResponse refused = dialect.refuseFields(call, root);
            if (refused != null) {
                return refused;
            }
            Conversation conversation = ChatCompletionsRequest.read(root, dialect.rules());
            dialect.checkConversation(root);
            call.promptTokens = (int) Math.max(conversation.inputTokens(), Math.min(Integer.MAX_VALUE, call.directives.cached()));
            if (call.directives.status() != 0) {
                return dialect.directedError(call, conversation);
            }
            SandboxReply reply = ReplyComposer.compose(conversation);
            int choices = root.path("n").asInt(1);
            SandboxResponse response = root.path("stream").asBoolean(false)
                    ? stream(call, conversation, reply, choices, root)
                    : dialect.completion(call, conversation, reply, choices, root);
            return dialect.answered(response, call, reply, choices);
        } catch (InvalidRequest invalid) {
            return dialect.invalid(call, invalid);
        }
    }

    /** The dialect's frames, cut by an {@code error_after} directive into its mid-stream error event. */
    private SandboxResponse stream(ChatCall call, Conversation conversation, SandboxReply reply, int choices, JsonNode root) {
        List<String> frames = dialect.streamFrames(call, conversation, reply, choices, root);
        int errorAfter = call.directives.errorAfter();
        if (errorAfter >= 0 && errorAfter < frames.size()) {
            frames = new ArrayList<>(frames.subList(0, errorAfter));
            frames.add(dialect.midStreamError(call));
        }
        return SandboxResponse.stream(frames, call.directives.chunkDelayMs(), call.directives.failAfter());
    }
}
