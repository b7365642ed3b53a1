package ai.infrastack.gateway.reload;

import org.apache.camel.CamelContext;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.TemplatedRouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Live route reload that never leaves a provider without a route: only the edited file's routes are
 * replaced, and when the new version fails (bad YAML, unknown step, a route that cannot start, a
 * provider parameter its template refuses) the last good version of that file is loaded again and
 * the failure is logged as an error naming the file.
 *
 * <p>Camel's own update path ({@code RoutesLoader.updateRoutes}) skips templated routes, and every
 * provider file is one, so those are replaced here: the route of the same id is removed and the
 * template instantiated again. An edit to a route template re-instantiates every templated file.
 */
public final class SafeRouteReloadStrategy extends RouteWatcherReloadStrategy {
    private static final Logger LOG = LoggerFactory.getLogger(SafeRouteReloadStrategy.class);

    private final Path directory;
    /** Last content of each route file that loaded cleanly, by resource location. */
    private final Map<String, String> lastGood = new ConcurrentHashMap<>();
    private final AtomicLong rejected = new AtomicLong();

    public SafeRouteReloadStrategy(Path directory) {
        super(directory.toString(), true);
        this.directory = directory;
        setPattern("*.yaml");
        setRemoveAllRoutes(false);
    }

    @Override
    protected void doStart() throws Exception {
        try (Stream<Path> files = Files.walk(directory)) {
            files.filter(f -> f.toString().endsWith(".yaml")).forEach(this::rememberFromDisk);
        }
        super.doStart();
    }

    @Override
    protected void onRouteReload(Collection<Resource> resources, boolean removeEverything) {
        if (resources != null && !resources.isEmpty() && resources.stream().allMatch(SafeRouteReloadStrategy::emptyFile)) {
            // An editor truncating the file before writing it: wait for the content.
            return;
        }
        try {
            super.onRouteReload(resources, removeEverything);
            if (resources != null) {
                updateTemplatedRoutes(resources);
                resources.forEach(this::remember);
                if (resources.stream().anyMatch(SafeRouteReloadStrategy::declaresTemplate)) {
                    updateTemplatedRoutes(templatedFiles());
                }
            }
        } catch (RuntimeException e) {
            rejected.incrementAndGet();
            for (Resource r : resources == null ? List.<Resource> of() : resources) {
                restore(r.getLocation(), e);
            }
        }
    }

    /** How many route file edits were rejected since start. */
    public long rejectedReloads() {
        return rejected.get();
    }

    /** The failure as a reader needs it: Camel's wrapping message and, when deeper, the cause that explains it. */
    private static String reason(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure || root.getMessage() == null ? failure.getMessage() : failure.getMessage() + " — " + root.getMessage();
    }

    private void restore(String location, RuntimeException cause) {
        String previous = lastGood.get(location);
        if (previous == null) {
            LOG.error("Rejected route file {}: {}. No earlier version to fall back to.", location, reason(cause));
            return;
        }
        try {
            List<Resource> last = List.of(ResourceHelper.fromString(location, previous));
            PluginHelper.getRoutesLoader(getCamelContext()).updateRoutes(last);
            updateTemplatedRoutes(last);
            LOG.error("Rejected route file {}: {}. Its previous version keeps serving.", location, reason(cause));
        } catch (Exception e) {
            LOG.error("Rejected route file {}: {}; restoring its previous version failed too: {}", location, reason(cause), e.getMessage());
        }
    }

    /** Replaces the routes the files create from a route template, by route id. */
    private void updateTemplatedRoutes(Collection<Resource> resources) {
        CamelContext context = getCamelContext();
        try {
            for (RoutesBuilder builder : PluginHelper.getRoutesLoader(context).findRoutesBuilders(
                    resources.stream().filter(Resource::exists).toList())) {
                if (!(builder instanceof RouteBuilder routes)) {
                    continue;
                }
                routes.configureRoutes(context);
                List<TemplatedRouteDefinition> templated = routes.getTemplatedRouteCollection().getTemplatedRoutes();
                if (templated.isEmpty()) {
                    continue;
                }
                for (TemplatedRouteDefinition t : templated) {
                    if (t.getRouteId() != null && context.getRoute(t.getRouteId()) != null) {
                        context.getRouteController().stopRoute(t.getRouteId());
                        context.removeRoute(t.getRouteId());
                    }
                }
                routes.addTemplatedRoutesToCamelContext(context);
            }
        } catch (Exception e) {
            throw RuntimeCamelException.wrapRuntimeException(e);
        }
    }

    /** The route files, by their last good content, that instantiate a template. */
    private List<Resource> templatedFiles() {
        return lastGood.entrySet().stream()
                .filter(e -> e.getValue().contains("templatedRoute"))
                .map(e -> ResourceHelper.fromString(e.getKey(), e.getValue()))
                .toList();
    }

    private static boolean declaresTemplate(Resource r) {
        try (InputStream in = r.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("routeTemplate:");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean emptyFile(Resource r) {
        try {
            Path file = Path.of(java.net.URI.create(r.getURI().toString()));
            return Files.isRegularFile(file) && Files.size(file) == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void remember(Resource r) {
        if (!r.exists()) {
            lastGood.remove(r.getLocation());
            return;
        }
        try (InputStream in = r.getInputStream()) {
            lastGood.put(r.getLocation(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.warn("Cannot keep a copy of route file {}: {}", r.getLocation(), e.getMessage());
        }
    }

    private void rememberFromDisk(Path file) {
        try {
            lastGood.put("file:" + file.toAbsolutePath().normalize(), Files.readString(file));
        } catch (IOException e) {
            LOG.warn("Cannot keep a copy of route file {}: {}", file, e.getMessage());
        }
    }
}
