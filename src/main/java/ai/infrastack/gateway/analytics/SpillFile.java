package ai.infrastack.gateway.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Request-log rows that could not reach the database, appended one JSON line each to a local file
 * that only the gateway's user can read. A row is on disk (in the OS's page cache, which outlives
 * the process) once {@link #append} returns, so a gateway killed while the database is down loses
 * no row it had accepted; the rows are replayed into the database when it is reachable again, at
 * the latest at the next start.
 *
 * <p>Replay moves the file aside first ({@code .replaying}) so appends go on into a fresh file
 * meanwhile; the request log's inserts ignore rows already written, so a replay cut short by the
 * database going down again is simply run again.
 */
final class SpillFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Path replaying;
    private OutputStream out;
    private long rows;

    SpillFile(Path file) throws IOException {
        this.file = file;
        this.replaying = file.resolveSibling(file.getFileName() + ".replaying");
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            ownerOnly(dir, "rwx------");
        }
        rows = countLines(file) + countLines(replaying);
    }

    /** Appends rows durably (against a crash of the process); returns once they are written. */
    synchronized void append(List<RequestRecord> records) throws IOException {
        if (records.isEmpty()) {
            return;
        }
        if (out == null) {
            boolean created = !Files.exists(file);
            out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            if (created) {
                ownerOnly(file, "rw-------");
            }
        }
        StringBuilder lines = new StringBuilder();
        for (RequestRecord r : records) {
            lines.append(JSON.writeValueAsString(toJson(r))).append('\n');
        }
        out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        rows += records.size();
    }

    /** Rows on disk waiting for the database. */
    synchronized long rows() {
        return rows;
    }

    /**
     * Hands every spilled row to {@code write} in batches, oldest first, and forgets them once all
     * are written. A batch that fails (the database went down again) stops the replay with the
     * rows kept.
     */
    void replay(int batchSize, BatchWriter write) throws IOException, java.sql.SQLException {
        synchronized (this) {
            if (!Files.exists(replaying)) {
                if (!Files.exists(file)) {
                    return;
                }
                if (out != null) {
                    out.close();
                    out = null;
                }
                Files.move(file, replaying);
            }
        }
        List<RequestRecord> batch = new ArrayList<>(batchSize);
        long done = 0;
        try (BufferedReader in = Files.newBufferedReader(replaying, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                RequestRecord r = fromJson(line);
                if (r == null) {
                    continue; // a line cut by a crash mid-write: nothing to replay
                }
                batch.add(r);
                if (batch.size() == batchSize) {
                    write.write(batch);
                    done += batch.size();
                    batch.clear();
                }
            }
        }
        write.write(batch);
        done += batch.size();
        synchronized (this) {
            Files.delete(replaying);
            rows = Math.max(0, rows - done);
            if (!Files.exists(file)) {
                rows = 0;
            }
        }
    }

    /** Writes one batch of rows to the database. */
    interface BatchWriter {
        void write(List<RequestRecord> batch) throws java.sql.SQLException;
    }

    synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // the rows written so far are on disk
            }
            out = null;
        }
    }

    private static ObjectNode toJson(RequestRecord r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("request_id", r.requestId());
        n.put("created_at", r.createdAt().toString());
        n.put("key_id", r.keyId());
        n.put("user_id", r.userId());
        n.put("project_id", r.projectId());
        n.put("tracking_id", r.trackingId());
        n.put("requested_model", r.requestedModel());
        n.put("served_model", r.servedModel());
        n.put("provider", r.provider());
        n.put("status", r.status());
        n.put("error_type", r.errorType());
        n.put("prompt_tokens", r.promptTokens());
        n.put("completion_tokens", r.completionTokens());
        n.put("cached_tokens", r.cachedTokens());
        n.put("input_cost", plain(r.inputCost()));
        n.put("output_cost", plain(r.outputCost()));
        n.put("total_cost", plain(r.totalCost()));
        n.put("latency_ms", r.latencyMs());
        n.put("ttfb_ms", r.ttfbMs());
        n.put("cache_hit", r.cacheHit());
        n.put("fallback_used", r.fallbackUsed());
        n.put("routing_strategy", r.routingStrategy());
        n.put("streamed", r.streamed());
        return n;
    }

    /** Costs as exact decimal strings: a JSON number would come back as a double. */
    private static String plain(BigDecimal v) {
        return v == null ? null : v.toPlainString();
    }

    private static RequestRecord fromJson(String line) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
        return new RequestRecord(text(n, "request_id"), Instant.parse(n.path("created_at").asText()), text(n, "key_id"),
                text(n, "user_id"), text(n, "project_id"), text(n, "tracking_id"), text(n, "requested_model"),
                text(n, "served_model"), text(n, "provider"), n.path("status").asInt(), text(n, "error_type"),
                n.path("prompt_tokens").asLong(), n.path("completion_tokens").asLong(), n.path("cached_tokens").asLong(),
                decimal(n, "input_cost"), decimal(n, "output_cost"), decimal(n, "total_cost"), n.path("latency_ms").asLong(),
                n.hasNonNull("ttfb_ms") ? n.get("ttfb_ms").asLong() : null, n.path("cache_hit").asBoolean(),
                n.path("fallback_used").asBoolean(), text(n, "routing_strategy"), n.path("streamed").asBoolean());
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    private static BigDecimal decimal(JsonNode n, String field) {
        return n.hasNonNull(field) ? new BigDecimal(n.get(field).asText()) : null;
    }

    private static long countLines(Path p) throws IOException {
        if (!Files.exists(p)) {
            return 0;
        }
        try (var lines = Files.lines(p, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).count();
        }
    }

    static void ownerOnly(Path p, String permissions) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: its own defaults apply
        }
    }
}
