package ai.infrastack.gateway.sandbox;

import ai.infrastack.gateway.sandbox.Conversation.LastTurn;
import ai.infrastack.gateway.sandbox.Conversation.Tool;
import ai.infrastack.gateway.sandbox.Conversation.ToolChoice;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Strict validation of a Gemini {@code GenerateContentRequest} body into a {@link Conversation}, with the real
 * API's error wording: unknown fields anywhere, roles other than user/model, empty parts, a part without data, a
 * {@code functionResponse.response} that is not an object, function responses not answering the previous
 * function-call turn, a missing {@code thoughtSignature} on a Gemini 3 function call, generationConfig ranges,
 * and the tool schema rules of {@link GeminiSchema}.
 */
final class GeminiRequest {

    /** @param candidateCount {@code generationConfig.candidateCount}, 1 when absent */
    record Parsed(Conversation conversation, int candidateCount) {
    }

    private static final Set<String> FIELDS = Set.of("contents", "tools", "toolConfig", "safetySettings",
            "systemInstruction", "generationConfig", "cachedContent");
    private static final Set<String> CONTENT_FIELDS = Set.of("role", "parts");
    private static final Set<String> PART_FIELDS = Set.of("text", "inlineData", "fileData", "functionCall",
            "functionResponse", "executableCode", "codeExecutionResult", "thought", "thoughtSignature",
            "videoMetadata", "partMetadata", "mediaResolution");
    private static final List<String> PART_DATA = List.of("text", "inlineData", "fileData", "functionCall",
            "functionResponse", "executableCode", "codeExecutionResult");
    private static final Set<String> FUNCTION_CALL_FIELDS = Set.of("id", "name", "args");
    private static final Set<String> FUNCTION_RESPONSE_FIELDS = Set.of("id", "name", "response", "willContinue",
            "scheduling", "parts");
    private static final Set<String> GENERATION_FIELDS = Set.of("stopSequences", "responseMimeType", "responseSchema",
            "responseJsonSchema", "responseModalities", "candidateCount", "maxOutputTokens", "temperature", "topP",
            "topK", "seed", "presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs",
            "enableEnhancedCivicAnswers", "speechConfig", "thinkingConfig", "imageConfig", "mediaResolution");
    private static final Set<String> MIME_TYPES = Set.of("text/plain", "application/json", "application/xml",
            "application/yaml", "text/x.enum");
    private static final Set<String> TOOL_FIELDS = Set.of("functionDeclarations", "googleSearchRetrieval",
            "codeExecution", "googleSearch", "urlContext", "computerUse", "fileSearch", "googleMaps");
    private static final Set<String> DECLARATION_FIELDS = Set.of("name", "description", "parameters",
            "parametersJsonSchema", "response", "responseJsonSchema", "behavior");
    private static final Set<String> TOOL_CONFIG_FIELDS = Set.of("functionCallingConfig", "retrievalConfig");
    private static final Set<String> CALLING_FIELDS = Set.of("mode", "allowedFunctionNames");
    private static final Set<String> MODES = Set.of("MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED");
    private static final Set<String> SAFETY_FIELDS = Set.of("category", "threshold", "method");
    private static final String CONTENT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.Content";
    private static final String STRUCT_TYPE = "type.googleapis.com/google.protobuf.Struct";
    private static final int MAX_STOP_SEQUENCES = 5;
    private static final int MAX_CANDIDATES = 8;
    private static final int MAX_FUNCTION_NAME = 64;

    private GeminiRequest() {
    }

    static Parsed read(String model, JsonNode root) {
        GeminiFields.checkKnown(root, FIELDS, "");
        JsonNode contents = GeminiFields.get(root, "contents");
        if (contents == null || contents.isNull() || contents.isArray() && contents.isEmpty()) {
            throw GeminiFields.request("contents", "contents is not specified");
        }
        if (!contents.isArray()) {
            throw GeminiFields.invalidValue("contents", CONTENT_TYPE, contents);
        }
        int inputTokens = systemWords(GeminiFields.get(root, "systemInstruction"));
        Generation generation = generation(GeminiFields.get(root, "generationConfig"));
        List<Tool> tools = tools(GeminiFields.get(root, "tools"));
        ToolChoice toolChoice = toolChoice(GeminiFields.get(root, "toolConfig"));
        checkSafetySettings(GeminiFields.get(root, "safetySettings"));
        JsonNode cached = GeminiFields.get(root, "cachedContent");
        if (cached != null && !cached.isNull()) {
            GeminiFields.text(cached, "cached_content");
        }
        inputTokens += checkContents(contents, model);

        JsonNode last = contents.get(contents.size() - 1);
        LastTurn lastTurn = "model".equals(role(last)) ? LastTurn.OTHER
                : functionResponses(last).isEmpty() ? LastTurn.USER : LastTurn.TOOL_RESULT;
        Conversation conversation = new Conversation(model, tools, toolChoice, lastTurn, lastUserText(contents),
                String.join("\n", functionResponses(last)), generation.maxTokens, generation.stop, inputTokens)
                .withOutput(generation.output);
        return new Parsed(conversation, generation.candidates);
    }

    /** Text of the latest user turn; a turn of function responses carries no directives. Tolerant: runs first. */
    static String directiveText(JsonNode contents) {
        for (int i = contents.size() - 1; i >= 0; i--) {
            JsonNode content = contents.get(i);
            if ("user".equals(role(content))) {
                return functionResponses(content).isEmpty() ? text(content) : "";
            }
        }
        return "";
    }

    // ---- contents --------------------------------------------------------------------------------

    /** Missing or empty role means user, as the API assumes for single-turn requests. */
    private static String role(JsonNode content) {
        String role = content.path("role").asText("");
        return role.isEmpty() ? "user" : role;
    }

    private static String text(JsonNode content) {
        StringBuilder out = new StringBuilder();
        for (JsonNode part : content.path("parts")) {
            if (part.path("text").isTextual() && !part.path("thought").asBoolean(false)) {
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.append(part.get("text").asText());
            }
        }
        return out.toString();
    }

    private static String lastUserText(JsonNode contents) {
        for (int i = contents.size() - 1; i >= 0; i--) {
            JsonNode content = contents.get(i);
            if ("user".equals(role(content)) && functionResponses(content).isEmpty()) {
                return text(content);
            }
        }
        return "";
    }

    /** The compact JSON of each functionResponse.response in the content. */
    private static List<String> functionResponses(JsonNode content) {
        List<String> out = new ArrayList<>();
        for (JsonNode part : content.path("parts")) {
            JsonNode response = GeminiFields.get(part, "functionResponse");
            if (response != null && response.isObject()) {
                out.add(SandboxJson.write(response.path("response")));
            }
        }
        return out;
    }

    /** Validates every content; returns words of text and function responses plus 3 per content. */
    private static int checkContents(JsonNode contents, String model) {
        int tokens = 0;
        int previousCalls = 0;
        boolean signatureRequired = model.startsWith("gemini-3");
        int currentTurnStart = 0;
        for (int i = 0; i < contents.size(); i++) {
            JsonNode content = contents.get(i);
            if ("user".equals(role(content)) && functionResponses(content).isEmpty()) {
                currentTurnStart = i;
            }
        }
        for (int i = 0; i < contents.size(); i++) {
            String at = "contents[" + i + "]";
            JsonNode content = contents.get(i);
            if (!content.isObject()) {
                throw GeminiFields.invalidValue(at, CONTENT_TYPE, content);
            }
            GeminiFields.checkKnown(content, CONTENT_FIELDS, at);
            String role = role(content);
            if (!"user".equals(role) && !"model".equals(role)) {
                throw new InvalidRequest(400, "Please use a valid role: user, model.", null, null);
            }
            Parts parts = checkParts(content.get("parts"), at);
            tokens += 3 + parts.words;
            if (parts.functionResponses > 0) {
                if (previousCalls == 0) {
                    throw new InvalidRequest(400, "Please ensure that function response turn comes immediately after "
                            + "a function call turn.", null, null);
                }
                if (parts.functionResponses != previousCalls) {
                    throw new InvalidRequest(400, "Please ensure that the number of function response parts is equal "
                            + "to the number of function call parts of the function call turn.", null, null);
                }
            }
            if (signatureRequired && i > currentTurnStart && parts.unsignedFirstCall != null) {
                throw new InvalidRequest(400, "Function call is missing a thought_signature in functionCall parts. "
                        + "This is required for tools to work correctly, and missing thought_signature may lead to "
                        + "degraded model performance. Additional data, function call `default_api:"
                        + parts.unsignedFirstCall + "` , position " + (i + 1) + ". Please refer to "
                        + "https://ai.google.dev/gemini-api/docs/thought-signatures for more details.", null, null);
            }
            previousCalls = "model".equals(role) ? parts.functionCalls : 0;
        }
        return tokens;
    }

    /** What one content's parts hold. */
    private static final class Parts {
        int words;
        int functionCalls;
        int functionResponses;
        /** Name of the content's first functionCall when it lacks a thoughtSignature, else null. */
        String unsignedFirstCall;
    }

    private static Parts checkParts(JsonNode parts, String at) {
        if (parts == null || parts.isNull() || parts.isArray() && parts.isEmpty()) {
            throw GeminiFields.request(at + ".parts", "contents.parts must not be empty.");
        }
        if (!parts.isArray()) {
            throw GeminiFields.invalidValue(at + ".parts",
                    "type.googleapis.com/google.ai.generativelanguage.v1beta.Part", parts);
        }
        Parts out = new Parts();
        for (int j = 0; j < parts.size(); j++) {
            String partAt = at + ".parts[" + j + "]";
            JsonNode part = parts.get(j);
            if (!part.isObject()) {
                throw GeminiFields.invalidValue(partAt, "type.googleapis.com/google.ai.generativelanguage.v1beta.Part",
                        part);
            }
            GeminiFields.checkKnown(part, PART_FIELDS, partAt);
            if (PART_DATA.stream().noneMatch(name -> GeminiFields.get(part, name) != null)) {
                throw GeminiFields.request(partAt + ".data", "required oneof field 'data' must have one initialized field");
            }
            JsonNode text = part.get("text");
            if (text != null) {
                out.words += SandboxText.countWords(GeminiFields.text(text, partAt + ".text"));
            }
            JsonNode signature = GeminiFields.get(part, "thoughtSignature");
            if (signature != null) {
                GeminiFields.text(signature, partAt + ".thought_signature");
            }
            JsonNode call = GeminiFields.get(part, "functionCall");
            if (call != null) {
                String name = checkFunctionCall(call, partAt + ".function_call");
                if (out.functionCalls == 0 && signature == null) {
                    out.unsignedFirstCall = name;
                }
                out.functionCalls++;
            }
            JsonNode response = GeminiFields.get(part, "functionResponse");
            if (response != null) {
                out.words += checkFunctionResponse(response, partAt + ".function_response");
                out.functionResponses++;
            }
        }
        return out;
    }

    private static String checkFunctionCall(JsonNode call, String at) {
        if (!call.isObject()) {
            throw GeminiFields.invalidValue(at, "type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCall",
                    call);
        }
        GeminiFields.checkKnown(call, FUNCTION_CALL_FIELDS, at);
        JsonNode name = call.get("name");
        if (name == null || GeminiFields.text(name, at + ".name").isEmpty()) {
            throw GeminiFields.request(at + ".name", "Name cannot be empty.");
        }
        JsonNode args = call.get("args");
        if (args != null && !args.isNull() && !args.isObject()) {
            throw GeminiFields.invalidValue(at + ".args", STRUCT_TYPE, args);
        }
        return name.asText();
    }

    private static int checkFunctionResponse(JsonNode response, String at) {
        if (!response.isObject()) {
            throw GeminiFields.invalidValue(at,
                    "type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionResponse", response);
        }
        GeminiFields.checkKnown(response, FUNCTION_RESPONSE_FIELDS, at);
        JsonNode name = response.get("name");
        if (name == null || GeminiFields.text(name, at + ".name").isEmpty()) {
            throw GeminiFields.request(at + ".name", "Name cannot be empty.");
        }
        JsonNode value = response.get("response");
        if (value == null || value.isNull()) {
            throw GeminiFields.request(at + ".response", "response is not specified");
        }
        if (!value.isObject()) {
            throw GeminiFields.invalidValue(at + ".response", STRUCT_TYPE, value);
        }
        return SandboxText.countWords(SandboxJson.write(value));
    }

    private static int systemWords(JsonNode system) {
        if (system == null || system.isNull()) {
            return 0;
        }
        if (!system.isObject()) {
            throw GeminiFields.invalidValue("system_instruction", CONTENT_TYPE, system);
        }
        GeminiFields.checkKnown(system, CONTENT_FIELDS, "system_instruction");
        return checkParts(system.get("parts"), "system_instruction").words;
    }

    // ---- generationConfig ------------------------------------------------------------------------

    /** What the reply depends on in {@code generationConfig}. */
    private static final class Generation {
        Integer maxTokens;
        List<String> stop = List.of();
        int candidates = 1;
        Conversation.Output output = Conversation.Output.TEXT;
    }

    private static Generation generation(JsonNode config) {
        Generation out = new Generation();
        if (config == null || config.isNull()) {
            return out;
        }
        String at = "generation_config";
        if (!config.isObject()) {
            throw GeminiFields.invalidValue(at,
                    "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig", config);
        }
        GeminiFields.checkKnown(config, GENERATION_FIELDS, at);
        range(config, "temperature", 0, 2, at);
        range(config, "topP", 0, 1, at);
        range(config, "presencePenalty", -2, 2, at);
        range(config, "frequencyPenalty", -2, 2, at);
        JsonNode topK = GeminiFields.get(config, "topK");
        if (topK != null && GeminiFields.integer(topK, at + ".top_k", "TYPE_INT32") < 1) {
            throw GeminiFields.request(at + ".top_k", "top_k must be positive.");
        }
        JsonNode seed = GeminiFields.get(config, "seed");
        if (seed != null) {
            GeminiFields.integer(seed, at + ".seed", "TYPE_INT32");
        }
        JsonNode max = GeminiFields.get(config, "maxOutputTokens");
        if (max != null) {
            long value = GeminiFields.integer(max, at + ".max_output_tokens", "TYPE_INT32");
            if (value < 1) {
                throw GeminiFields.request(at + ".max_output_tokens", "max_output_tokens must be positive.");
            }
            out.maxTokens = (int) Math.min(Integer.MAX_VALUE, value);
        }
        JsonNode count = GeminiFields.get(config, "candidateCount");
        if (count != null) {
            long value = GeminiFields.integer(count, at + ".candidate_count", "TYPE_INT32");
            if (value < 1 || value > MAX_CANDIDATES) {
                throw GeminiFields.request(at + ".candidate_count", "candidate_count must be between 1 and "
                        + MAX_CANDIDATES + ".");
            }
            out.candidates = (int) value;
        }
        out.stop = stopSequences(GeminiFields.get(config, "stopSequences"), at + ".stop_sequences");
        JsonNode mime = GeminiFields.get(config, "responseMimeType");
        if (mime != null && !MIME_TYPES.contains(GeminiFields.text(mime, at + ".response_mime_type"))) {
            throw GeminiFields.request(at + ".response_mime_type", "allowed mimetypes are `text/plain`, "
                    + "`application/json`, `application/xml`, `application/yaml` and `text/x.enum`.");
        }
        out.output = output(config, mime, at);
        return out;
    }

    /**
     * JSON when {@code responseMimeType} is application/json: of {@code responseSchema} (the OpenAPI subset,
     * checked like tool parameters) or {@code responseJsonSchema} (JSON Schema), which need that MIME type and
     * exclude each other, as the real API says.
     */
    private static Conversation.Output output(JsonNode config, JsonNode mime, String at) {
        JsonNode schema = GeminiFields.get(config, "responseSchema");
        JsonNode jsonSchema = GeminiFields.get(config, "responseJsonSchema");
        boolean json = mime != null && "application/json".equals(mime.asText());
        if (schema != null && jsonSchema != null) {
            throw GeminiFields.request(at, "response_schema and response_json_schema cannot both be set.");
        }
        if ((schema != null || jsonSchema != null) && !json) {
            throw GeminiFields.request(at + ".response_mime_type", "response_mime_type must be application/json "
                    + "when a response schema is set.");
        }
        if (schema != null) {
            GeminiSchema.check(schema, at + ".response_schema");
            return Conversation.Output.schema(schema);
        }
        if (jsonSchema != null) {
            return Conversation.Output.schema(jsonSchema);
        }
        return json ? Conversation.Output.JSON_OBJECT : Conversation.Output.TEXT;
    }

    private static void range(JsonNode config, String camelName, double min, double max, String at) {
        JsonNode value = GeminiFields.get(config, camelName);
        if (value == null) {
            return;
        }
        String path = GeminiFields.join(at, camelName);
        double number = GeminiFields.number(value, path, "TYPE_FLOAT");
        if (number < min || number > max) {
            throw GeminiFields.request(path, GeminiFields.snake(camelName) + " must be in the range ["
                    + plain(min) + ", " + plain(max) + "], got " + value.asText() + ".");
        }
    }

    private static String plain(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) + ".0" : Double.toString(value);
    }

    private static List<String> stopSequences(JsonNode stop, String at) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (!stop.isArray()) {
            throw GeminiFields.invalidValue(at, "TYPE_STRING", stop);
        }
        if (stop.size() > MAX_STOP_SEQUENCES) {
            throw GeminiFields.request(at, "stop_sequences must have at most " + MAX_STOP_SEQUENCES + " items, got "
                    + stop.size() + ".");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < stop.size(); i++) {
            out.add(GeminiFields.text(stop.get(i), at + "[" + i + "]"));
        }
        return out;
    }

    // ---- tools -----------------------------------------------------------------------------------

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return List.of();
        }
        if (!tools.isArray()) {
            throw GeminiFields.invalidValue("tools", "type.googleapis.com/google.ai.generativelanguage.v1beta.Tool",
                    tools);
        }
        List<Tool> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools[" + i + "]";
            JsonNode tool = tools.get(i);
            if (!tool.isObject()) {
                throw GeminiFields.invalidValue(at, "type.googleapis.com/google.ai.generativelanguage.v1beta.Tool", tool);
            }
            GeminiFields.checkKnown(tool, TOOL_FIELDS, at);
            JsonNode declarations = GeminiFields.get(tool, "functionDeclarations");
            if (declarations == null) {
                continue;
            }
            for (int j = 0; j < declarations.size(); j++) {
                out.add(declaration(declarations.get(j), at + ".function_declarations[" + j + "]"));
            }
        }
        return out;
    }

    private static Tool declaration(JsonNode declaration, String at) {
        if (!declaration.isObject()) {
            throw GeminiFields.invalidValue(at,
                    "type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionDeclaration", declaration);
        }
        GeminiFields.checkKnown(declaration, DECLARATION_FIELDS, at);
        JsonNode nameNode = declaration.get("name");
        String name = nameNode == null ? "" : GeminiFields.text(nameNode, at + ".name");
        if (name.isEmpty()) {
            throw GeminiFields.request(at + ".name", "Name cannot be empty.");
        }
        if (!isFunctionName(name)) {
            throw GeminiFields.request(at + ".name", "Invalid function name. Must start with a letter or an "
                    + "underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:) or dashes "
                    + "(-), with a maximum length of " + MAX_FUNCTION_NAME + ".");
        }
        JsonNode parameters = declaration.get("parameters");
        JsonNode jsonSchema = GeminiFields.get(declaration, "parametersJsonSchema");
        if (parameters != null && jsonSchema != null) {
            throw GeminiFields.request(at, "parameters and parameters_json_schema cannot both be set.");
        }
        if (parameters != null) {
            GeminiSchema.check(parameters, at + ".parameters");
            return new Tool(name, parameters);
        }
        return new Tool(name, jsonSchema == null ? SandboxJson.object() : jsonSchema);
    }

    private static boolean isFunctionName(String name) {
        if (name.length() > MAX_FUNCTION_NAME) {
            return false;
        }
        char first = name.charAt(0);
        if (!(Character.isLetter(first) && first < 128 || first == '_')) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '_' || c == '.' || c == ':' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static ToolChoice toolChoice(JsonNode toolConfig) {
        if (toolConfig == null || toolConfig.isNull()) {
            return ToolChoice.AUTO;
        }
        GeminiFields.checkKnown(toolConfig, TOOL_CONFIG_FIELDS, "tool_config");
        JsonNode calling = GeminiFields.get(toolConfig, "functionCallingConfig");
        if (calling == null) {
            return ToolChoice.AUTO;
        }
        String at = "tool_config.function_calling_config";
        GeminiFields.checkKnown(calling, CALLING_FIELDS, at);
        String mode = "AUTO";
        JsonNode modeNode = calling.get("mode");
        if (modeNode != null) {
            mode = modeNode.isTextual() ? modeNode.asText() : "";
            if (!MODES.contains(mode)) {
                throw GeminiFields.invalidValue(at + ".mode",
                        "type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode", modeNode);
            }
        }
        JsonNode allowed = GeminiFields.get(calling, "allowedFunctionNames");
        boolean named = allowed != null && allowed.isArray() && !allowed.isEmpty();
        if (named && !"ANY".equals(mode) && !"VALIDATED".equals(mode)) {
            throw GeminiFields.request(at + ".allowed_function_names", "allowed_function_names should only be set "
                    + "when the Function calling mode is ANY or VALIDATED.");
        }
        switch (mode) {
            case "NONE":
                return ToolChoice.NONE;
            case "ANY":
                return named ? ToolChoice.named(GeminiFields.text(allowed.get(0), at + ".allowed_function_names[0]"))
                        : ToolChoice.REQUIRED;
            default:
                return ToolChoice.AUTO;
        }
    }

    private static void checkSafetySettings(JsonNode settings) {
        if (settings == null || settings.isNull()) {
            return;
        }
        for (int i = 0; i < settings.size(); i++) {
            GeminiFields.checkKnown(settings.get(i), SAFETY_FIELDS, "safety_settings[" + i + "]");
        }
    }
}
