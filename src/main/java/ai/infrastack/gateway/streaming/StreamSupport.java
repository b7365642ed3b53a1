package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** What the vendor decoders share: parsing an event's JSON, and the failures of a broken stream. */
public final class StreamSupport {
    private static final ObjectMapper MAPPER = Json.plainMapper();

    private StreamSupport() {}

    /** The event's data as JSON, or null when it is not JSON. */
    public static JsonNode parse(String data) {
        if (data == null || data.isBlank()) {
            return null;
        }
        try {
            return MAPPER.readTree(data);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The upstream sent something that is not its stream format. */
    public static StreamEvent.Failure unreadable(String provider, String what) {
        return new StreamEvent.Failure(GatewayException.of(ErrorType.PROVIDER,
                        "The upstream provider sent a stream event that could not be read: " + what)
                .status(502).provider(provider).code("upstream_invalid_response").build());
    }

    /** A text for messages: the first characters of the data, never the whole of a huge event. */
    public static String excerpt(String data) {
        if (data == null) {
            return "<no data>";
        }
        return data.length() <= 200 ? data : data.substring(0, 200) + "…";
    }

    /** An HTTP status a vendor put in an in-stream error, when it is one (400–599); else 0. */
    public static int httpStatus(JsonNode value) {
        int status = 0;
        if (value != null && value.isInt()) {
            status = value.asInt();
        } else if (value != null && value.isTextual()) {
            String s = value.asText();
            if (s.length() == 3) {
                try {
                    status = Integer.parseInt(s);
                } catch (NumberFormatException e) {
                    status = 0;
                }
            }
        }
        return status >= 400 && status <= 599 ? status : 0;
    }
}
