package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.core.Json;
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

/**
 * The request log's journal: every row is appended here, one JSON line, before the request's answer
 * is written, in a folder only the gateway's user can read. A line is in the OS's page cache once
 * {@link #append} returns, which outlives the process: a gateway killed at any moment loses no row
 * of an answered call. Rows go in segments; the writer seals the current one, writes its rows to the
 * database and deletes it. A segment whose rows did not reach the database (it was down; the
 * process died) stays and is replayed — the inserts ignore rows already written, so replaying twice
 * is harmless.
 */
final class RequestJournal {
    private static final ObjectMapper JSON = Json.plainMapper();
    private static final String SUFFIX = ".jsonl";

    private final Path dir;
    private OutputStream out;
    private Path active;
    private int activeRows;
    private long sequence;

    RequestJournal(Path dir) throws IOException {
        this.dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(this.dir)) {
            Files.createDirectories(this.dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        ownerOnly(this.dir, "rwx------");
    }

    /** Segments left by an earlier run (or an earlier failure), oldest first: to replay. */
    List<Path> leftOver() throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
    }

    /** Appends a row and returns once it is in the OS's hands. Not thread-safe: the writer serialises calls. */
    void append(RequestRecord r) throws IOException {
        if (out == null) {
            active = dir.resolve(String.format("request-log-%013d-%06d%s", System.currentTimeMillis(), sequence++ % 1_000_000, SUFFIX));
            out = Files.newOutputStream(active, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            ownerOnly(active, "rw-------");
            activeRows = 0;
        }
        out.write((JSON.writeValueAsString(toJson(r)) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        activeRows++;
    }

    /** Closes the current segment and returns it, or null when nothing was appended since the last seal. */
    Path seal() throws IOException {
        if (out == null) {
            return null;
        }
        out.close();
        out = null;
        Path sealed = active;
        active = null;
        return sealed;
    }

    int activeRows() {
        return activeRows;
    }

    /** Writes a sealed segment's rows to the database in batches, then deletes it; throws, keeping it, on failure. */
    void replay(Path segment, int batchSize, BatchWriter write) throws IOException, java.sql.SQLException {
        List<RequestRecord> batch = new ArrayList<>(batchSize);
        try (BufferedReader in = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                RequestRecord r = line.isBlank() ? null : fromJson(line);
                if (r == null) {
                    continue; // the last line of a segment cut by a crash mid-write
                }
                batch.add(r);
                if (batch.size() == batchSize) {
                    write.write(batch);
                    batch.clear();
                }
            }
        }
        if (!batch.isEmpty()) {
            write.write(batch);
        }
        Files.deleteIfExists(segment);
    }

    static long rows(Path segment) {
        try (var lines = Files.lines(segment, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            return 0;
        }
    }

    void delete(Path segment) throws IOException {
        Files.deleteIfExists(segment);
    }

    void close() {
        try {
            seal();
        } catch (IOException ignored) {
            // what was written is on disk
        }
    }

    /** Writes one batch of rows to the database. */
    interface BatchWriter {
        void write(List<RequestRecord> batch) throws java.sql.SQLException;
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
        n.put("error_message", r.errorMessage());
        n.put("attempts", r.attempts());
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
                n.path("fallback_used").asBoolean(), text(n, "routing_strategy"), n.path("streamed").asBoolean(),
                text(n, "error_message"), text(n, "attempts"));
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    private static BigDecimal decimal(JsonNode n, String field) {
        return n.hasNonNull(field) ? new BigDecimal(n.get(field).asText()) : null;
    }

    private static void ownerOnly(Path p, String permissions) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: its own defaults apply
        }
    }
}
