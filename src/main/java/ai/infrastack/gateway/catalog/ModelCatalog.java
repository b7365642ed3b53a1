package ai.infrastack.gateway.catalog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The model catalog: every {@code pricing/*.yaml} file, indexed by gateway id and alias. Lookups
 * read an immutable snapshot; {@link #reloadIfChanged()} swaps in a new one. A file that fails to
 * parse is rejected with a log line and its previous version keeps serving.
 */
public final class ModelCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCatalog.class);

    private record Snapshot(Map<String, ModelSpec> byName, List<ModelSpec> models) {}

    private final Path dir;
    private final CatalogParser parser = new CatalogParser();
    /** The last good models of each file, and the file time they were read at. */
    private final Map<Path, List<ModelSpec>> goodFiles = new HashMap<>();
    private final Map<Path, FileTime> seen = new HashMap<>();
    private volatile Snapshot snapshot = new Snapshot(Map.of(), List.of());

    public ModelCatalog(Path dir) {
        this.dir = dir;
    }

    public static ModelCatalog load(Path dir) {
        ModelCatalog catalog = new ModelCatalog(dir);
        catalog.reloadIfChanged();
        if (catalog.models().isEmpty()) {
            LOG.warn("The model catalog in {} is empty: every chat request will get model_not_found", dir.toAbsolutePath());
        }
        return catalog;
    }

    /** Resolves a client's model name (gateway id or alias, case-insensitive). */
    public Optional<ModelSpec> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        Map<String, ModelSpec> byName = snapshot.byName();
        ModelSpec spec = byName.get(name);
        return Optional.ofNullable(spec != null ? spec : byName.get(name.toLowerCase(Locale.ROOT)));
    }

    public Collection<ModelSpec> models() {
        return snapshot.models();
    }

    /** Rescans the folder; returns true when the catalog changed. Called at start and by the reload timer. */
    public synchronized boolean reloadIfChanged() {
        Map<Path, FileTime> present = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
            for (Path f : files) {
                present.put(f, Files.getLastModifiedTime(f));
            }
        } catch (IOException e) {
            LOG.error("Cannot read pricing folder {}: {}", dir.toAbsolutePath(), e.toString());
            return false;
        }
        boolean changed = goodFiles.keySet().removeIf(f -> !present.containsKey(f));
        seen.keySet().removeIf(f -> !present.containsKey(f));
        for (Map.Entry<Path, FileTime> f : present.entrySet()) {
            if (f.getValue().equals(seen.get(f.getKey()))) {
                continue;
            }
            seen.put(f.getKey(), f.getValue());
            try {
                goodFiles.put(f.getKey(), parser.parse(f.getKey()));
                changed = true;
                LOG.info("Loaded pricing file {}", f.getKey().getFileName());
            } catch (IOException | RuntimeException e) {
                LOG.error("Rejected pricing file {}: {}; its previous version keeps serving", f.getKey().getFileName(), e.getMessage());
            }
        }
        if (changed) {
            snapshot = index();
        }
        return changed;
    }

    private Snapshot index() {
        Map<String, ModelSpec> byName = new HashMap<>();
        Map<String, ModelSpec> ordered = new LinkedHashMap<>();
        goodFiles.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .flatMap(e -> e.getValue().stream())
                .forEach(spec -> {
                    putName(byName, spec.id(), spec);
                    putName(byName, spec.provider() + "/" + spec.id(), spec);
                    for (String alias : spec.aliases()) {
                        putName(byName, alias, spec);
                    }
                    ordered.put(spec.id(), spec);
                });
        return new Snapshot(Map.copyOf(byName), List.copyOf(new ArrayList<>(ordered.values())));
    }

    private static void putName(Map<String, ModelSpec> byName, String name, ModelSpec spec) {
        ModelSpec previous = byName.putIfAbsent(name, spec);
        if (previous != null && previous != spec) {
            LOG.warn("Model name '{}' is claimed by {} and {}; {} wins", name, previous.id(), spec.id(), previous.id());
        }
    }
}
