package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.storage.Database;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import java.nio.file.Path;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the keys (master key, keys file, database), the authentication step and the keys admin API. */
public final class AuthConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        Database database = mandatoryLookup(context, "gatewayDatabase", Database.class);
        ApiKeyStore keyStore = new ApiKeyStore(database.dataSource());
        KeyRegistry keys = KeyRegistry.load(settings.optional("gateway.auth.master-key"),
                Path.of(settings.require("gateway.auth.keys-file")), keyStore);
        Registry r = context.getRegistry();
        r.bind("keyRegistry", keys);
        r.bind("apiKeyAuthenticator", new ApiKeyAuthenticator(keys));
        r.bind("adminGuard", new AdminGuard());
        r.bind("keyAdminApi", new KeyAdminApi(keyStore, keys, mandatoryLookup(context, "modelCatalog", ModelCatalog.class),
                mandatoryLookup(context, Json.BEAN, ObjectMapper.class)));
    }
}
