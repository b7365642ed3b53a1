package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Google Gemini Developer API ({@code POST /gemini/v1beta/models/{model}:generateContent} and
 * {@code :streamGenerateContent?alt=sse}): the model is in the path, auth is {@code x-goog-api-key} (or
 * {@code ?key=}), a missing key is 403 PERMISSION_DENIED and a bad one is HTTP <b>400</b> API_KEY_INVALID;
 * validation by {@link GeminiRequest}; errors are {@code google.rpc.Status} with RetryInfo on 429 and no
 * rate-limit headers. A function call is a {@code functionCall} part with a {@code thoughtSignature} and finish
 * reason STOP; {@code usageMetadata.promptTokenCount} includes cached tokens and thoughts are outside
 * candidates. Streams are {@code data:} events with CRLF line endings, each a complete response holding only
 * the new parts and the cumulative usage, and no {@code [DONE]}; without {@code alt=sse} the stream is one
 * JSON array.
 */
final class GeminiSimulator implements VendorSimulator {

    static final String FORMAT = "gemini";
    private static final String PREFIX = "/gemini";
    private static final String MODELS = PREFIX + "/v1beta/models/";
    private static final String GENERATE = "generateContent";
    private static final String STREAM = "streamGenerateContent";
    /** Finish reasons that still come with the generated content; every other one (SAFETY, …) has none. */
    private static final Set<String> FINISH_WITH_CONTENT = Set.of("STOP", "MAX_TOKENS");
    private static final String[] SAFETY_CATEGORIES = {"HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_SEXUALLY_EXPLICIT"};

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
        String path = request.path();
        int colon = path.lastIndexOf(':');
        String method = colon < 0 ? "" : path.substring(colon + 1);
        if (!path.startsWith(MODELS) || colon <= MODELS.length() || !GENERATE.equals(method) && !STREAM.equals(method)
                || !"POST".equals(request.method())) {
            return error(call, 404, "Requested entity was not found.", null);
        }
        call.model = path.substring(MODELS.length(), colon);
        String key = request.header("x-goog-api-key");
        if (key == null || key.isBlank()) {
            key = queryValue(request.query(), "key");
        }
        if (key == null || key.isBlank()) {
            return error(call, 403, "Method doesn't allow unregistered callers (callers without established identity). "
                    + "Please use API Key or other form of API consumer identity to call this API.", null);
        }
        if (key.contains("invalid")) {
            return invalidKey(call);
        }
        JsonNode root = SandboxJson.readOrNull(request.body());
        if (root == null || !root.isObject()) {
            String message = "Invalid JSON payload received. Unexpected token.";
            return error(call, 400, message, GoogleRpcError.badRequest(null, message));
        }
        call = call.withDirectives(SandboxDirectives.parse(GeminiRequest.directiveText(
                GeminiFields.get(root, "contents") == null ? SandboxJson.MAPPER.createArrayNode()
                        : GeminiFields.get(root, "contents")), request));
        try {
            GeminiRequest.Parsed parsed = GeminiRequest.read(call.model, root);
            Conversation conversation = parsed.conversation();
            call.promptTokens = Math.max(conversation.inputTokens(), call.directives.cached());
            call.candidates = parsed.candidateCount();
            if (call.directives.status() != 0) {
                return directedError(call);
            }
            boolean stream = STREAM.equals(method);
            List<ObjectNode> chunks = chunks(call, ReplyComposer.compose(conversation), stream);
            if (!stream) {
                return headers(SandboxResponse.json(200, SandboxJson.write(chunks.get(0)))
                        .header("content-type", "application/json; charset=UTF-8"), call);
            }
            return headers(isSse(request.query()) ? sse(call, chunks) : jsonArray(chunks), call);
        } catch (InvalidRequest invalid) {
            return error(call, invalid.status, invalid.getMessage(), GeminiFields.PAYLOAD.equals(invalid.code)
                    ? GoogleRpcError.badRequest(invalid.param, invalid.getMessage()) : null);
        }
    }

    /** Per-request facts the headers and bodies share. */
    private static final class Call {
        final RequestHash hash;
        final SandboxDirectives directives;
        final long defaultLatencyMs;
        String model = "";
        long promptTokens;
        int candidates = 1;

        Call(RequestHash hash, SandboxDirectives directives, long defaultLatencyMs) {
            this.hash = hash;
            this.directives = directives;
            this.defaultLatencyMs = defaultLatencyMs;
        }

        Call withDirectives(SandboxDirectives newDirectives) {
            Call call = new Call(hash, newDirectives, defaultLatencyMs);
            call.model = model;
            return call;
        }

        String responseId() {
            return hash.alnum("response", 23);
        }
    }

    private static boolean isSse(String query) {
        return "sse".equals(queryValue(query, "alt"));
    }

    /** One query parameter's raw value, or null; no decoding is needed for the values the sandbox reads. */
    private static String queryValue(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).equals(name)) {
                return pair.substring(equals + 1);
            }
        }
        return null;
    }

    // ---- success body ------------------------------------------------------------------------------

    private static String finishReason(SandboxReply reply) {
        return reply.finish() == SandboxReply.Finish.LENGTH ? "MAX_TOKENS" : "STOP";
    }

    /**
     * The response as stream chunks, each complete and holding only its new parts, the last one with the
     * finish reason; usage is cumulative. Not streamed: one chunk with everything.
     */
    private static List<ObjectNode> chunks(Call call, SandboxReply reply, boolean stream) {
        List<ObjectNode> chunks = new ArrayList<>();
        if (call.directives.blocked()) {
            ObjectNode blocked = SandboxJson.object();
            blocked.putObject("promptFeedback").put("blockReason", "SAFETY");
            finish(blocked, call, 0);
            chunks.add(blocked);
            return chunks;
        }
        String directed = call.directives.finish();
        if (directed != null && !FINISH_WITH_CONTENT.contains(directed)) {
            ObjectNode filtered = SandboxJson.object();
            ArrayNode candidates = filtered.putArray("candidates");
            for (int i = 0; i < call.candidates; i++) {
                ObjectNode candidate = candidates.addObject().put("finishReason", directed).put("index", i);
                if ("SAFETY".equals(directed)) {
                    safetyRatings(candidate);
                }
            }
            finish(filtered, call, 0);
            chunks.add(filtered);
            return chunks;
        }
        String finishReason = directed != null ? directed : finishReason(reply);
        if (reply.isToolCall()) {
            ObjectNode chunk = SandboxJson.object();
            ArrayNode candidates = chunk.putArray("candidates");
            for (int i = 0; i < call.candidates; i++) {
                ObjectNode part = content(candidates, i, finishReason).addObject();
                part.putObject("functionCall")
                        .put("name", reply.toolCall().name())
                        .set("args", reply.toolCall().arguments());
                part.put("thoughtSignature", call.hash.alnum("thought" + i, 72));
            }
            finish(chunk, call, reply.outputTokens());
            chunks.add(chunk);
            return chunks;
        }
        List<String> deltas = stream ? SandboxText.wordDeltas(reply.text()) : List.of(reply.text());
        if (deltas.isEmpty()) {
            deltas = List.of("");
        }
        StringBuilder sent = new StringBuilder();
        for (int d = 0; d < deltas.size(); d++) {
            boolean last = d == deltas.size() - 1;
            sent.append(deltas.get(d));
            ObjectNode chunk = SandboxJson.object();
            ArrayNode candidates = chunk.putArray("candidates");
            for (int i = 0; i < call.candidates; i++) {
                content(candidates, i, last ? finishReason : null).addObject().put("text", deltas.get(d));
            }
            finish(chunk, call, SandboxText.countWords(sent));
            chunks.add(chunk);
        }
        return chunks;
    }

    /** Adds candidate {@code index} with model content and returns its parts array. */
    private static ArrayNode content(ArrayNode candidates, int index, String finishReason) {
        ObjectNode candidate = candidates.addObject();
        ObjectNode content = candidate.putObject("content");
        ArrayNode parts = content.putArray("parts");
        content.put("role", "model");
        if (finishReason != null) {
            candidate.put("finishReason", finishReason);
        }
        candidate.put("index", index);
        return parts;
    }

    private static void safetyRatings(ObjectNode candidate) {
        ArrayNode ratings = candidate.putArray("safetyRatings");
        for (String category : SAFETY_CATEGORIES) {
            ObjectNode rating = ratings.addObject().put("category", category);
            boolean blocking = "HARM_CATEGORY_DANGEROUS_CONTENT".equals(category);
            rating.put("probability", blocking ? "HIGH" : "NEGLIGIBLE");
            if (blocking) {
                rating.put("blocked", true);
            }
        }
    }

    /** Adds the (cumulative) usage, modelVersion and responseId every response and chunk carries. */
    private static void finish(ObjectNode body, Call call, int outputTokensPerCandidate) {
        body.set("usageMetadata", usage(call, (long) outputTokensPerCandidate * call.candidates));
        body.put("modelVersion", call.model);
        body.put("responseId", call.responseId());
    }

    /** promptTokenCount includes cached tokens; thoughts are counted beside candidates, not in them. */
    private static ObjectNode usage(Call call, long candidatesTokens) {
        long cached = call.directives.cached();
        long thoughts = call.directives.reasoning();
        ObjectNode usage = SandboxJson.object();
        usage.put("promptTokenCount", call.promptTokens);
        if (candidatesTokens > 0) {
            usage.put("candidatesTokenCount", candidatesTokens);
        }
        usage.put("totalTokenCount", call.promptTokens + candidatesTokens + thoughts);
        if (cached > 0) {
            usage.put("cachedContentTokenCount", cached);
        }
        usage.putArray("promptTokensDetails").addObject().put("modality", "TEXT").put("tokenCount", call.promptTokens);
        if (cached > 0) {
            usage.putArray("cacheTokensDetails").addObject().put("modality", "TEXT").put("tokenCount", cached);
        }
        if (thoughts > 0) {
            usage.put("thoughtsTokenCount", thoughts);
        }
        return usage;
    }

    // ---- stream ------------------------------------------------------------------------------------

    private static SandboxResponse sse(Call call, List<ObjectNode> chunks) {
        List<String> frames = new ArrayList<>();
        for (ObjectNode chunk : chunks) {
            frames.add(SseFrames.dataCrlf(chunk));
        }
        int errorAfter = call.directives.errorAfter();
        if (errorAfter >= 0 && errorAfter < frames.size()) {
            frames = new ArrayList<>(frames.subList(0, errorAfter));
            frames.add(SseFrames.dataCrlf(GoogleRpcError.body(503, "The model is overloaded. Please try again later.",
                    null)));
        }
        return SandboxResponse.stream(frames, call.directives.chunkDelayMs(), call.directives.failAfter());
    }

    /** Without {@code alt=sse} the stream is a single JSON array of the chunks. */
    private static SandboxResponse jsonArray(List<ObjectNode> chunks) {
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < chunks.size(); i++) {
            body.append(i == 0 ? "" : ",\r\n").append(SandboxJson.write(chunks.get(i)));
        }
        return SandboxResponse.json(200, body.append(']').toString())
                .header("content-type", "application/json; charset=UTF-8");
    }

    // ---- headers and errors ------------------------------------------------------------------------

    /** No rate-limit headers: Google puts the retry delay in the body. */
    private static SandboxResponse headers(SandboxResponse response, Call call) {
        long latency = call.directives.latencyMs(call.defaultLatencyMs);
        return response
                .header("server-timing", "gfet4t7; dur=" + Math.max(1, latency))
                .header("x-content-type-options", "nosniff")
                .timed(call.directives, call.defaultLatencyMs);
    }

    private static SandboxResponse error(Call call, int status, String message, ArrayNode details) {
        return headers(SandboxResponse.json(status, SandboxJson.write(GoogleRpcError.body(status, message, details)))
                .header("content-type", "application/json; charset=UTF-8"), call);
    }

    /** The real quirk: a bad key is HTTP 400 INVALID_ARGUMENT with ErrorInfo API_KEY_INVALID, not 401. */
    private static SandboxResponse invalidKey(Call call) {
        String message = "API key not valid. Please pass a valid API key.";
        ArrayNode details = GoogleRpcError.details();
        ObjectNode info = GoogleRpcError.detail(details, "ErrorInfo");
        info.put("reason", "API_KEY_INVALID");
        info.put("domain", "googleapis.com");
        info.putObject("metadata").put("service", "generativelanguage.googleapis.com");
        GoogleRpcError.detail(details, "LocalizedMessage").put("locale", "en-US").put("message", message);
        return error(call, 400, message, details);
    }

    /** The error a {@code [sandbox:status=N]} directive asks for, as Google sends it. */
    private static SandboxResponse directedError(Call call) {
        int status = call.directives.status();
        switch (status) {
            case 400:
                return error(call, status, "Request contains an invalid argument.", null);
            case 403:
                return error(call, status, "The caller does not have permission", null);
            case 404:
                return error(call, status, "models/" + call.model + " is not found for API version v1beta, or is not "
                        + "supported for generateContent. Call ListModels to see the list of available models and "
                        + "their supported methods.", null);
            case 429:
                return resourceExhausted(call);
            case 500:
                return error(call, status, "An internal error has occurred. Please retry or report in "
                        + "https://developers.generativeai.google/guide/troubleshooting", null);
            case 503:
                return error(call, status, "The model is overloaded. Please try again later.", null);
            case 504:
                return error(call, status, "Deadline expired before operation could complete.", null);
            default:
                return error(call, status, "Sandbox directive requested HTTP " + status + ".", null);
        }
    }

    /** 429 with QuotaFailure, Help and RetryInfo; the delay is also in the message, as Google writes it. */
    private static SandboxResponse resourceExhausted(Call call) {
        long retry = call.directives.retryAfterSeconds();
        String metric = "generativelanguage.googleapis.com/generate_content_free_tier_requests";
        String message = "You exceeded your current quota, please check your plan and billing details. For more "
                + "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor "
                + "your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: "
                + metric + ", limit: 10, model: " + call.model + "\nPlease retry in " + retry + "s.";
        ArrayNode details = GoogleRpcError.details();
        ObjectNode violation = GoogleRpcError.detail(details, "QuotaFailure").putArray("violations").addObject();
        violation.put("quotaMetric", metric);
        violation.put("quotaId", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
        violation.putObject("quotaDimensions").put("location", "global").put("model", call.model);
        violation.put("quotaValue", "10");
        GoogleRpcError.detail(details, "Help").putArray("links").addObject()
                .put("description", "Learn more about Gemini API quotas")
                .put("url", "https://ai.google.dev/gemini-api/docs/rate-limits");
        GoogleRpcError.detail(details, "RetryInfo").put("retryDelay", retry + "s");
        return error(call, 429, message, details);
    }
}
