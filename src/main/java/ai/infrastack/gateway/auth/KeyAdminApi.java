package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.api.ErrorType;
import ai.infrastack.gateway.api.GatewayException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;

/** The admin API for API keys under /api/v1/keys (create, list, get, revoke, rotate). */
public final class KeyAdminApi {
    private final ApiKeyStore store;
    private final KeyRegistry registry;
    private final ObjectMapper mapper;

    public KeyAdminApi(ApiKeyStore store, KeyRegistry registry, ObjectMapper mapper) {
        this.store = store;
        this.registry = registry;
        this.mapper = mapper;
    }

    public void create(Exchange exchange) {
        throw notYet();
    }

    public void list(Exchange exchange) {
        throw notYet();
    }

    public void get(Exchange exchange) {
        throw notYet();
    }

    public void revoke(Exchange exchange) {
        throw notYet();
    }

    public void rotate(Exchange exchange) {
        throw notYet();
    }

    private static GatewayException notYet() {
        return GatewayException.of(ErrorType.NOT_FOUND, "not implemented yet").build();
    }
}
