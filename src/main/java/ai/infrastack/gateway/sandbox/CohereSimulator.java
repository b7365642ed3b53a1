package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Cohere Chat API v2 ({@code POST /cohere/v2/chat}): Bearer auth, validation by {@link CohereRequest}, error
 * body {@code {"id","message"}}. The response has no model field; finish reasons are COMPLETE, MAX_TOKENS,
 * STOP_SEQUENCE, TOOL_CALL; a tool call comes with a {@code tool_plan} and an id {@code <name>_<12 lowercase
 * alnum>}; usage bills {@code billed_units} while {@code tokens} adds the prompt template's overhead. With
 * {@code "stream": true} in the body the answer is named kebab-case events ({@code event:} + {@code data:} with
 * the same {@code type}), tool_calls in deltas being a single object, usage only in {@code message-end}.
 */
final class CohereSimulator implements VendorSimulator {

    static final String FORMAT = "cohere";
    private static final String PREFIX = "/cohere";
    private static final String CHAT = PREFIX + "/v2/chat";
    /** Tokens of the chat template around the messages, counted in {@code tokens} but not billed. */
    static final int TEMPLATE_INPUT_TOKENS = 66;
    static final int TEMPLATE_OUTPUT_TOKENS = 2;
    private static final int TRIAL_CALLS_PER_MINUTE = 20;

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public String pathPrefix() {
        return PREFIX;
    }

    @Override
    public String basePath() {
        return PREFIX;
    }

    // ---- routing and auth -------------------------------------------------------------------------

    @Override
    public SandboxResponse handle(RecordedRequest request, long defaultLatencyMs) {
        Call call = new Call(RequestHash.of(request.body()), SandboxDirectives.parse(null), defaultLatencyMs);
        if (!CHAT.equals(request.path())) {
            return error(call, 404, "404 page not found");
        }
        if (!"POST".equals(request.method())) {
            return error(call, 405, "method not allowed");
        }
        String key = BearerToken.from(request.header("authorization"));
        if (key == null) {
            return error(call, 401, "no api key supplied");
        }
        if (key.contains("invalid")) {
            return error(call, 401, "invalid api token");
        }
        JsonNode root = SandboxJson.readOrNull(request.body());
        if (root == null || !root.isObject()) {
            return error(call, 400, "invalid request: could not parse the request body as JSON");
        }
        call = new Call(call.hash, SandboxDirectives.parse(CohereRequest.directiveText(root.path("messages")), request),
                defaultLatencyMs);
        try {
            Conversation conversation = CohereRequest.read(root);
            call.inputTokens = Math.max(conversation.inputTokens(), call.directives.cached());
            if (call.directives.status() != 0) {
                return directedError(call, conversation);
            }
            SandboxReply reply = ReplyComposer.compose(conversation);
            SandboxResponse response = root.path("stream").asBoolean(false) ? stream(call, reply) : chat(call, reply);
            return headers(response, call);
        } catch (InvalidRequest invalid) {
            return error(call, invalid.status, invalid.getMessage());
        }
    }

    /** Per-request facts the headers and bodies share. */
    private static final class Call {
        final RequestHash hash;
        final SandboxDirectives directives;
        final long defaultLatencyMs;
        long inputTokens;

        Call(RequestHash hash, SandboxDirectives directives, long defaultLatencyMs) {
            this.hash = hash;
            this.directives = directives;
            this.defaultLatencyMs = defaultLatencyMs;
        }

        String id() {
            return hash.uuid("chat");
        }
    }

    // ---- success body ------------------------------------------------------------------------------

    /** The reply's finish reason; a {@code finish} directive (e.g. ERROR) overrides it for a text reply. */
    private static String finishReason(Call call, SandboxReply reply) {
        if (call.directives.finish() != null && !reply.isToolCall()) {
            return call.directives.finish();
        }
        switch (reply.finish()) {
            case LENGTH:
                return "MAX_TOKENS";
            case STOP_SEQUENCE:
                return "STOP_SEQUENCE";
            case TOOL_CALL:
                return "TOOL_CALL";
            default:
                return "COMPLETE";
        }
    }

    private static String toolCallId(Call call, SandboxReply reply) {
        return reply.toolCall().name() + "_" + call.hash.lowerAlnum("cohere-call", 12);
    }

    private static String toolPlan(SandboxReply reply) {
        return "I will call " + reply.toolCall().name() + " to answer this.";
    }

    private SandboxResponse chat(Call call, SandboxReply reply) {
        ObjectNode body = SandboxJson.object();
        body.put("id", call.id());
        body.put("finish_reason", finishReason(call, reply));
        ObjectNode message = body.putObject("message");
        message.put("role", "assistant");
        if (reply.isToolCall()) {
            message.put("tool_plan", toolPlan(reply));
            ObjectNode toolCall = message.putArray("tool_calls").addObject();
            toolCall.put("id", toolCallId(call, reply));
            toolCall.put("type", "function");
            toolCall.putObject("function")
                    .put("name", reply.toolCall().name())
                    .put("arguments", reply.toolCall().argumentsJson());
        } else {
            message.putArray("content").addObject().put("type", "text").put("text", reply.text());
        }
        body.set("usage", usage(call, reply));
        return SandboxResponse.json(200, SandboxJson.write(body));
    }

    /** Billed units are what the words count; tokens add the template overhead; cached is reported beside. */
    private static ObjectNode usage(Call call, SandboxReply reply) {
        ObjectNode usage = SandboxJson.object();
        usage.putObject("billed_units")
                .put("input_tokens", call.inputTokens)
                .put("output_tokens", reply.outputTokens());
        usage.putObject("tokens")
                .put("input_tokens", call.inputTokens + TEMPLATE_INPUT_TOKENS)
                .put("output_tokens", reply.outputTokens() + TEMPLATE_OUTPUT_TOKENS);
        usage.put("cached_tokens", call.directives.cached());
        return usage;
    }

    // ---- stream ------------------------------------------------------------------------------------

    private SandboxResponse stream(Call call, SandboxReply reply) {
        List<String> frames = new ArrayList<>();
        ObjectNode start = event("message-start");
        start.put("id", call.id());
        ObjectNode startMessage = start.putObject("delta").putObject("message");
        startMessage.put("role", "assistant");
        startMessage.putArray("content");
        startMessage.put("tool_plan", "");
        startMessage.putArray("tool_calls");
        startMessage.putArray("citations");
        frames.add(frame(start));
        if (reply.isToolCall()) {
            for (String word : SandboxText.wordDeltas(toolPlan(reply))) {
                ObjectNode plan = event("tool-plan-delta");
                plan.putObject("delta").putObject("message").put("tool_plan", word);
                frames.add(frame(plan));
            }
            ObjectNode callStart = event("tool-call-start").put("index", 0);
            ObjectNode toolCall = callStart.putObject("delta").putObject("message").putObject("tool_calls");
            toolCall.put("id", toolCallId(call, reply));
            toolCall.put("type", "function");
            toolCall.putObject("function").put("name", reply.toolCall().name()).put("arguments", "");
            frames.add(frame(callStart));
            for (String fragment : argumentFragments(reply.toolCall().argumentsJson())) {
                ObjectNode delta = event("tool-call-delta").put("index", 0);
                delta.putObject("delta").putObject("message").putObject("tool_calls").putObject("function")
                        .put("arguments", fragment);
                frames.add(frame(delta));
            }
            frames.add(frame(event("tool-call-end").put("index", 0)));
        } else {
            ObjectNode contentStart = event("content-start").put("index", 0);
            contentStart.putObject("delta").putObject("message").putObject("content").put("type", "text").put("text", "");
            frames.add(frame(contentStart));
            for (String word : SandboxText.wordDeltas(reply.text())) {
                ObjectNode delta = event("content-delta").put("index", 0);
                delta.putObject("delta").putObject("message").putObject("content").put("text", word);
                frames.add(frame(delta));
            }
            frames.add(frame(event("content-end").put("index", 0)));
        }
        frames.add(frame(messageEnd(finishReason(call, reply), usage(call, reply), null)));
        int errorAfter = call.directives.errorAfter();
        if (errorAfter >= 0 && errorAfter < frames.size()) {
            frames = new ArrayList<>(frames.subList(0, errorAfter));
            frames.add(frame(messageEnd("ERROR", usage(call, reply), "internal server error")));
        }
        return SandboxResponse.stream(frames, call.directives.chunkDelayMs(), call.directives.failAfter());
    }

    /** At least two fragments, so a client must concatenate them. */
    private static List<String> argumentFragments(String arguments) {
        List<String> fragments = SandboxText.pieces(arguments, 2);
        if (fragments.size() < 2) {
            fragments = new ArrayList<>(fragments);
            fragments.add("");
        }
        return fragments;
    }

    private static ObjectNode event(String type) {
        return SandboxJson.object().put("type", type);
    }

    private static String frame(ObjectNode event) {
        return SseFrames.event(event.get("type").asText(), event);
    }

    private static ObjectNode messageEnd(String finishReason, ObjectNode usage, String error) {
        ObjectNode end = event("message-end");
        ObjectNode delta = end.putObject("delta");
        if (error != null) {
            delta.put("error", error);
        }
        delta.put("finish_reason", finishReason);
        delta.set("usage", usage);
        return end;
    }

    // ---- headers and errors ------------------------------------------------------------------------

    private static SandboxResponse headers(SandboxResponse response, Call call) {
        return response
                .header("x-debug-trace-id", call.hash.hex("trace", 32))
                .header("x-trial-endpoint-call-limit", TRIAL_CALLS_PER_MINUTE)
                .header("x-trial-endpoint-call-remaining",
                        call.directives.status() == 429 ? 0 : TRIAL_CALLS_PER_MINUTE - 1)
                .timed(call.directives, call.defaultLatencyMs);
    }

    private static SandboxResponse error(Call call, int status, String message) {
        ObjectNode body = SandboxJson.object();
        body.put("id", call.hash.uuid("error"));
        body.put("message", message);
        return headers(SandboxResponse.json(status, SandboxJson.write(body)), call);
    }

    /** The error a {@code [sandbox:status=N]} directive asks for, with Cohere's message for it. */
    private static SandboxResponse directedError(Call call, Conversation conversation) {
        int status = call.directives.status();
        switch (status) {
            case 401:
                return error(call, status, "invalid api token");
            case 402:
                return error(call, status, "Please add or update your payment method at "
                        + "https://dashboard.cohere.com/billing?tab=payment to continue");
            case 404:
                return error(call, status, "model '" + conversation.model() + "' not found, make sure the correct "
                        + "model ID was used and that you have access to the model.");
            case 429:
                return error(call, status, "You are using a Trial key, which is limited to " + TRIAL_CALLS_PER_MINUTE
                        + " API calls / minute. You can continue to use the Trial key for free or upgrade to a "
                        + "Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'. Contact "
                        + "us on 'https://discord.gg/XW44jPfYJu' or email us at support@cohere.com with any questions");
            case 498:
                return error(call, status, "blocked input: please adjust your prompt and try again, as it may be a "
                        + "potential violation of our Usage Guidelines (https://docs.cohere.com/docs/usage-guidelines).");
            case 499:
                return error(call, status, "request cancelled by user");
            case 500:
                return error(call, status, "internal server error, this has been reported to our developers. id "
                        + call.hash.uuid("incident"));
            case 503:
                return error(call, status, "service unavailable, please try again later");
            case 504:
                return error(call, status, "gateway timeout, please try again later");
            default:
                return error(call, status, "Sandbox directive requested HTTP " + status + ".");
        }
    }
}
