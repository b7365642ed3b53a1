package ai.infrastack.gateway.validation;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the request validator and the strict JSON body reader every JSON endpoint shares. */
public final class ValidationConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        JsonRequestBody body = new JsonRequestBody(mandatoryLookup(context, Json.BEAN, ObjectMapper.class),
                Settings.of(context).longValue("gateway.http.max-body-bytes"));
        context.getRegistry().bind("jsonRequestBody", body);
        context.getRegistry().bind("chatRequestValidator", new ChatRequestValidator(body));
    }
}
