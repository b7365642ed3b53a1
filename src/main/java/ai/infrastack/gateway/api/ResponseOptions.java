package ai.infrastack.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;

/** The client's {@code response.include_*} switches, read once for a unary answer and a stream alike. */
record ResponseOptions(boolean usage, boolean cost, boolean latency, boolean modelInfo) {

    static ResponseOptions of(JsonNode request) {
        JsonNode o = request == null ? null : request.path("response");
        if (o == null || !o.isObject()) {
            return new ResponseOptions(true, true, true, false);
        }
        return new ResponseOptions(o.path("include_usage").asBoolean(true), o.path("include_cost").asBoolean(true),
                o.path("include_latency").asBoolean(true), o.path("include_model_info").asBoolean(false));
    }
}
