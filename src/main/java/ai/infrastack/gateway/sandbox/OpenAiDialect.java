package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * OpenAI Chat Completions ({@code POST /openai/v1/chat/completions}): OpenAI's parameter validation (reasoning
 * models included) and error envelope {@code {"error":{message,type,param,code}}}, an unknown top-level field
 * is a 400, usage where {@code prompt_tokens} includes cached tokens, {@code x-ratelimit-*} headers, streams whose
 * usage comes only in an extra {@code choices: []} chunk when {@code stream_options.include_usage} asks for it.
 */
final class OpenAiDialect extends ChatCompletionsDialect {

    static final String FORMAT = "openai";
    private static final Set<String> FIELDS = Set.of("model", "messages", "audio", "frequency_penalty",
            "function_call", "functions", "logit_bias", "logprobs", "max_completion_tokens", "max_tokens",
            "metadata", "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty",
            "prompt_cache_key", "prompt_cache_retention", "reasoning_effort", "response_format",
            "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options",
            "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
            "web_search_options");
    private static final long REQUESTS_LIMIT = 10_000;
    private static final long TOKENS_LIMIT = 30_000_000;
    private static final String FINGERPRINT = "fp_sandbox01";
    private static final String PARSE_ERROR = "We could not parse the JSON body of your request. (HINT: This likely "
            + "means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what "
            + "was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us "
            + "through our help center at help.openai.com.)";

    // ---- identity and validation -------------------------------------------------------------------

    @Override
    String format() {
        return FORMAT;
    }

    @Override
    ChatCompletionsRequest.Rules rules() {
        return ChatCompletionsRequest.OPENAI;
    }

    @Override
    SandboxResponse refuseFields(ChatCall call, JsonNode root) {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new InvalidRequest("Unrecognized request argument supplied: " + name, null, null);
            }
        }
        return null;
    }

    // ---- the success body --------------------------------------------------------------------------

    /** Aliases resolve to snapshots in the response, as the real API does. */
    private static String responseModel(String model) {
        return "gpt-4o".equals(model) ? "gpt-4o-2024-08-06" : model;
    }

    @Override
    String finishReason(ChatCall call, SandboxReply reply, boolean stream) {
        switch (reply.finish()) {
            case LENGTH:
                return "length";
            case TOOL_CALL:
                return "tool_calls";
            default:
                return "stop";
        }
    }

    private static String completionId(ChatCall call) {
        return "chatcmpl-" + call.hash.alnum("chatcmpl", 29);
    }

    private static String toolCallId(ChatCall call, int choice) {
        return "call_" + call.hash.alnum("call" + choice, 24);
    }

    @Override
    SandboxResponse completion(ChatCall call, Conversation conversation, SandboxReply reply, int choices, JsonNode root) {
        ObjectNode body = SandboxJson.object();
        body.put("id", completionId(call));
        body.put("object", "chat.completion");
        body.put("created", call.created);
        body.put("model", responseModel(conversation.model()));
        ArrayNode choiceArray = body.putArray("choices");
        for (int i = 0; i < choices; i++) {
            ObjectNode choice = choiceArray.addObject();
            choice.put("index", i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (reply.isToolCall()) {
                message.putNull("content");
                message.putArray("tool_calls").add(toolCall(toolCallId(call, i), reply));
            } else {
                message.put("content", reply.text());
            }
            message.putNull("refusal");
            message.putArray("annotations");
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason(call, reply, false));
        }
        body.set("usage", usage(call, reply, choices));
        body.put("service_tier", "default");
        body.put("system_fingerprint", FINGERPRINT);
        return SandboxResponse.json(200, SandboxJson.write(body));
    }

    /** prompt_tokens includes cached tokens; completion_tokens includes reasoning tokens. */
    private static ObjectNode usage(ChatCall call, SandboxReply reply, int choices) {
        SandboxDirectives directives = call.directives;
        long completion = (long) reply.outputTokens() * choices + directives.reasoning();
        ObjectNode usage = SandboxJson.object();
        usage.put("prompt_tokens", call.promptTokens);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", call.promptTokens + completion);
        ObjectNode promptDetails = usage.putObject("prompt_tokens_details");
        promptDetails.put("cached_tokens", directives.cached());
        promptDetails.put("audio_tokens", 0);
        ObjectNode completionDetails = usage.putObject("completion_tokens_details");
        completionDetails.put("reasoning_tokens", directives.reasoning());
        completionDetails.put("audio_tokens", 0);
        completionDetails.put("accepted_prediction_tokens", 0);
        completionDetails.put("rejected_prediction_tokens", 0);
        return usage;
    }

    // ---- the stream --------------------------------------------------------------------------------

    @Override
    List<String> streamFrames(ChatCall call, Conversation conversation, SandboxReply reply, int choices, JsonNode root) {
        boolean includeUsage = root.path("stream_options").path("include_usage").asBoolean(false);
        String id = completionId(call);
        String model = responseModel(conversation.model());
        List<String> frames = new ArrayList<>();
        for (int i = 0; i < choices; i++) {
            ObjectNode first = chunk(call, id, model, includeUsage);
            ObjectNode delta = choice(first, i, null);
            delta.put("role", "assistant");
            if (reply.isToolCall()) {
                delta.putNull("content");
                ObjectNode toolCall = delta.putArray("tool_calls").addObject();
                toolCall.put("index", 0);
                toolCall.put("id", toolCallId(call, i));
                toolCall.put("type", "function");
                toolCall.putObject("function").put("name", reply.toolCall().name()).put("arguments", "");
                delta.putNull("refusal");
                frames.add(SseFrames.data(first));
                for (String fragment : SandboxText.pieces(reply.toolCall().argumentsJson(), 2)) {
                    ObjectNode chunk = chunk(call, id, model, includeUsage);
                    ObjectNode argumentDelta = choice(chunk, i, null).putArray("tool_calls").addObject();
                    argumentDelta.put("index", 0);
                    argumentDelta.putObject("function").put("arguments", fragment);
                    frames.add(SseFrames.data(chunk));
                }
            } else {
                delta.put("content", "");
                delta.putNull("refusal");
                frames.add(SseFrames.data(first));
                for (String word : SandboxText.wordDeltas(reply.text())) {
                    ObjectNode chunk = chunk(call, id, model, includeUsage);
                    choice(chunk, i, null).put("content", word);
                    frames.add(SseFrames.data(chunk));
                }
            }
            ObjectNode last = chunk(call, id, model, includeUsage);
            choice(last, i, finishReason(call, reply, true));
            frames.add(SseFrames.data(last));
        }
        if (includeUsage) {
            ObjectNode usageChunk = chunk(call, id, model, true);
            usageChunk.set("usage", usage(call, reply, choices));
            frames.add(SseFrames.data(usageChunk));
        }
        frames.add(SseFrames.data("[DONE]"));
        return frames;
    }

    @Override
    String midStreamError(ChatCall call) {
        return SseFrames.data(errorBody("The server had an error while processing your request. Sorry about that!",
                "server_error", null, null));
    }

    private static ObjectNode chunk(ChatCall call, String id, String model, boolean includeUsage) {
        ObjectNode chunk = chunk(id, call.created, model);
        chunk.put("service_tier", "default");
        chunk.put("system_fingerprint", FINGERPRINT);
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    /** Adds a choice to the chunk and returns its (empty) delta. */
    private static ObjectNode choice(ObjectNode chunk, int index, String finishReason) {
        ObjectNode choice = choices(chunk).addObject();
        choice.put("index", index);
        ObjectNode delta = choice.putObject("delta");
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return delta;
    }

    // ---- headers and errors ------------------------------------------------------------------------

    @Override
    SandboxResponse answered(SandboxResponse response, ChatCall call, SandboxReply reply, int choices) {
        return headers(response, call);
    }

    private static SandboxResponse headers(SandboxResponse response, ChatCall call) {
        long latency = call.directives.latencyMs(call.defaultLatencyMs);
        return response
                .header("x-request-id", "req_" + call.hash.hex("request", 32))
                .header("openai-processing-ms", call.directives.processingMs(latency))
                .header("openai-version", "2020-10-01")
                .header("openai-organization", "org-sandbox")
                .header("x-ratelimit-limit-requests", REQUESTS_LIMIT)
                .header("x-ratelimit-limit-tokens", TOKENS_LIMIT)
                .header("x-ratelimit-remaining-requests", REQUESTS_LIMIT - 1)
                .header("x-ratelimit-remaining-tokens", TOKENS_LIMIT - call.promptTokens)
                .header("x-ratelimit-reset-requests", "6ms")
                .header("x-ratelimit-reset-tokens", "0s")
                .timed(call.directives, call.defaultLatencyMs);
    }

    private static ObjectNode errorBody(String message, String type, String param, String code) {
        ObjectNode body = SandboxJson.object();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return body;
    }

    private static SandboxResponse error(ChatCall call, int status, String message, String type, String param, String code) {
        return headers(SandboxResponse.json(status, SandboxJson.write(errorBody(message, type, param, code))), call);
    }

    private static String mask(String key) {
        if (key == null) {
            return "<none>";
        }
        return key.length() <= 8 ? key.charAt(0) + "*****" : key.substring(0, 3) + "*****" + key.substring(key.length() - 4);
    }

    @Override
    SandboxResponse notFound(ChatCall call, String method, String vendorPath) {
        return error(call, 404, "Invalid URL (" + method + " " + vendorPath + ")", "invalid_request_error", null, null);
    }

    @Override
    SandboxResponse methodNotAllowed(ChatCall call, String method, String vendorPath) {
        return error(call, 405, "Invalid method for URL (" + method + " " + vendorPath + ")", "invalid_request_error",
                null, null);
    }

    @Override
    SandboxResponse unauthorized(ChatCall call, String key) {
        return error(call, 401, "Incorrect API key provided: " + mask(key)
                        + ". You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error", null, "invalid_api_key");
    }

    @Override
    SandboxResponse unparseable(ChatCall call) {
        return error(call, 400, PARSE_ERROR, "invalid_request_error", null, null);
    }

    @Override
    SandboxResponse invalid(ChatCall call, InvalidRequest invalid) {
        return error(call, invalid.status, invalid.getMessage(), "invalid_request_error", invalid.param, invalid.code);
    }

    @Override
    SandboxResponse directedError(ChatCall call, Conversation conversation) {
        int status = call.directives.status();
        String model = conversation.model();
        switch (status) {
            case 401:
                return error(call, status, "Incorrect API key provided: sk-sandbox. You can find your API key at "
                        + "https://platform.openai.com/account/api-keys.", "invalid_request_error", null, "invalid_api_key");
            case 403:
                return error(call, status, "Country, region, or territory not supported", "request_forbidden", null,
                        "unsupported_country_region_territory");
            case 404:
                return error(call, status, "The model `" + model + "` does not exist or you do not have access to it.",
                        "invalid_request_error", null, "model_not_found");
            case 429: {
                long retry = call.directives.retryAfterSeconds();
                return error(call, status, "Rate limit reached for " + model + " in organization org-sandbox on tokens "
                                + "per min (TPM): Limit " + TOKENS_LIMIT + ", Used " + TOKENS_LIMIT + ", Requested "
                                + call.promptTokens + ". Please try again in " + retry + "s. Visit "
                                + "https://platform.openai.com/account/rate-limits to learn more.",
                        "tokens", null, "rate_limit_exceeded")
                        .header("x-ratelimit-remaining-tokens", 0)
                        .header("x-ratelimit-reset-tokens", retry + "s")
                        .header("retry-after", retry);
            }
            case 500:
                return error(call, status, "The server had an error while processing your request. Sorry about that!",
                        "server_error", null, null);
            case 503:
                return error(call, status, "The server is overloaded or not ready yet.", "server_error", null, null);
            default:
                return error(call, status, "Sandbox directive requested HTTP " + status + ".",
                        status >= 500 ? "server_error" : "invalid_request_error", null, null);
        }
    }
}
