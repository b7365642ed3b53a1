package ai.infrastack.gateway.reload;

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
 * replaced, and when the new version fails (bad YAML, unknown step, a route that cannot start) the
 * last good version of that file is loaded again and the failure is logged as an error.
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
                resources.forEach(this::remember);
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

    private void restore(String location, RuntimeException cause) {
        String previous = lastGood.get(location);
        if (previous == null) {
            LOG.error("Rejected route file {}: {}. No earlier version to fall back to.", location, cause.getMessage());
            return;
        }
        try {
            PluginHelper.getRoutesLoader(getCamelContext()).updateRoutes(List.of(ResourceHelper.fromString(location, previous)));
            LOG.error("Rejected route file {}: {}. Its previous version keeps serving.", location, cause.getMessage());
        } catch (Exception e) {
            LOG.error("Rejected route file {}: {}; restoring its previous version failed too: {}", location, cause.getMessage(), e.getMessage());
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
