package ai.infrastack.gateway.routing;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Properties;
import java.util.function.Function;

/**
 * Timer step (routes/router-config-reload.yaml): when the top-level application.properties changed,
 * reads its {@code gateway.router.*} keys again and swaps the router configuration in one step, as
 * route files are reloaded. A key the file does not set keeps its start-up value (packaged default,
 * environment or override); a file with a bad value is refused, logged, and the previous
 * configuration stays.
 */
public final class RouterConfigReloader implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(RouterConfigReloader.class);

    private final Path file;
    private final RouterSettings settings;
    private final CamelContext context;
    private final Function<String, String> startup;
    private FileTime seen;

    public RouterConfigReloader(Path file, RouterSettings settings, CamelContext context, Function<String, String> startup) {
        this.file = file;
        this.settings = settings;
        this.context = context;
        this.startup = startup;
        this.seen = modified();
    }

    @Override
    public synchronized void process(Exchange exchange) {
        FileTime now = modified();
        if (now == null || now.equals(seen)) {
            return;
        }
        seen = now;
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (IOException e) {
            LOG.warn("Router configuration not reloaded: {} could not be read ({})", file, e.getMessage());
            return;
        }
        try {
            RouterConfig config = RouterConfig.read(key -> {
                String v = props.getProperty(key);
                return v == null ? startup.apply(key) : context.resolvePropertyPlaceholders(v.trim());
            });
            settings.replace(config);
            LOG.info("Router configuration reloaded from {}", file);
        } catch (RuntimeException e) {
            LOG.warn("Router configuration in {} refused, the previous one stays: {}", file, e.getMessage());
        }
    }

    private FileTime modified() {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return null;
        }
    }
}
