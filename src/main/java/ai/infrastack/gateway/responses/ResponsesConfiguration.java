package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.validation.JsonRequestBody;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import java.time.Clock;
import java.time.Duration;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the Responses API's steps: the request translator, the Response's assembler, saver and writer, stored responses. */
public final class ResponsesConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        ObjectMapper mapper = mandatoryLookup(context, Json.BEAN, ObjectMapper.class);
        Settings settings = Settings.of(context);
        ResponseStore store = new ResponseStore(mandatoryLookup(context, "gatewayDatabase", Database.class).dataSource(), mapper,
                Duration.ofDays(settings.integer("gateway.responses.retention-days")), Clock.systemUTC());
        Registry r = context.getRegistry();
        r.bind("responseStore", store);
        r.bind("responsesRequestTranslator", new ResponsesRequestTranslator(mapper,
                mandatoryLookup(context, "jsonRequestBody", JsonRequestBody.class), store));
        r.bind("responseAssembler", new ResponseAssembler(mapper));
        r.bind("responseSaver", new ResponseSaver(store));
        r.bind("responseWriter", new ResponseWriter(mapper));
        r.bind("storedResponses", new StoredResponses(store, mapper));
    }
}
