package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.JsonAnswer;
import ai.infrastack.gateway.core.ResponseHeaders;
import ai.infrastack.gateway.core.StoreCall;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * {@code /api/v1/batches}: submit (202, then the batch runs in the background), get one (status,
 * counts, cost, progress, and once finished the results in request order), list, cancel. A key sees
 * only its own batches (another key's is 404, as if it did not exist); the master key sees all.
 */
public final class BatchApi {
    private static final Logger LOG = LoggerFactory.getLogger(BatchApi.class);

    private final BatchStore store;
    private final BatchSubmission submissions;
    private final BatchRunner runner;
    private final ObjectMapper mapper;

    BatchApi(BatchStore store, BatchSubmission submissions, BatchRunner runner, ObjectMapper mapper) {
        this.store = store;
        this.submissions = submissions;
        this.runner = runner;
        this.mapper = mapper;
    }

    /** POST /api/v1/batches */
    public void submit(Exchange exchange) {
        JsonAnswer.requireJsonBody(exchange);
        NewBatch batch = submissions.parse(exchange.getMessage().getBody(byte[].class));
        Caller caller = caller(exchange);
        String id = newId();
        database(() -> {
            store.create(id, caller.keyId(), batch, Instant.now());
            return null;
        });
        LOG.info("Batch {} submitted by key {}: {} requests, {} at a time", id, caller.keyId(), batch.items().size(), batch.maxConcurrent());
        runner.nudge();
        BatchSummary stored = database(() -> store.summary(id)).orElseThrow();
        ResponseHeaders.add(exchange, "Location", "/api/v1/batches/" + id);
        respond(exchange, 202, render(stored));
    }

    /** GET /api/v1/batches/{id} */
    public void get(Exchange exchange) {
        BatchSummary batch = visible(exchange);
        ObjectNode body = render(batch);
        if (batch.finished()) {
            List<ItemResult> results = database(() -> store.results(batch.id()));
            ArrayNode out = body.putArray("results");
            results.forEach(r -> out.add(render(r, batch.returnIndividualCosts())));
        }
        respond(exchange, 200, body);
    }

    /** GET /api/v1/batches: the caller's batches, newest first (all batches for the master key). */
    public void list(Exchange exchange) {
        Caller caller = caller(exchange);
        int limit = limit(exchange.getMessage().getHeader("limit", String.class));
        List<BatchSummary> batches = database(() -> store.list(caller.admin() ? null : caller.keyId(), limit));
        ObjectNode body = mapper.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        batches.forEach(b -> data.add(render(b)));
        respond(exchange, 200, body);
    }

    /** POST /api/v1/batches/{id}/cancel: items not started are cancelled; those in flight finish. */
    public void cancel(Exchange exchange) {
        BatchSummary batch = visible(exchange);
        if (database(() -> store.cancel(batch.id(), Instant.now()))) {
            LOG.info("Batch {} cancelled", batch.id());
            runner.nudge();
        }
        respond(exchange, 200, render(database(() -> store.summary(batch.id())).orElseThrow()));
    }

    private BatchSummary visible(Exchange exchange) {
        String id = exchange.getMessage().getHeader("id", String.class);
        Caller caller = caller(exchange);
        return database(() -> store.summary(id))
                .filter(b -> caller.admin() || b.keyId().equals(caller.keyId()))
                .orElseThrow(() -> GatewayException.of(ErrorType.NOT_FOUND, "No batch with id '" + id + "'")
                        .param("id").code("batch_not_found").build());
    }

    private ObjectNode render(BatchSummary b) {
        ObjectNode o = mapper.createObjectNode();
        o.put("id", b.id());
        o.put("object", "batch");
        o.put("batch_id", b.id());
        o.put("status", b.status());
        o.put("created_at", iso(b.createdAt()));
        o.put("started_at", iso(b.startedAt()));
        o.put("completed_at", iso(b.finishedAt()));
        o.put("max_concurrent_requests", b.maxConcurrent());
        o.put("return_individual_costs", b.returnIndividualCosts());
        ObjectNode counts = o.putObject("request_counts");
        counts.put("total", b.total());
        counts.put("completed", b.completed());
        counts.put("failed", b.failed());
        counts.put("cancelled", b.cancelled());
        o.put("total_requests", b.total());
        o.put("successful_requests", b.completed());
        o.put("progress", b.total() == 0 ? BigDecimal.ONE
                : BigDecimal.valueOf(b.done()).divide(BigDecimal.valueOf(b.total()), 4, RoundingMode.DOWN).stripTrailingZeros());
        o.put("total_cost", Cost.rendered(b.totalCost()));
        return o;
    }

    private ObjectNode render(ItemResult r, boolean withCost) {
        ObjectNode o = mapper.createObjectNode();
        o.put("index", r.index());
        o.put("custom_id", r.customId());
        o.put("status", r.state());
        o.put("request_id", r.requestId());
        if (r.responseBody() != null) {
            JsonNode answer = parse(r.responseBody());
            if (BatchSummary.COMPLETED.equals(r.state())) {
                o.set("response", answer);
            } else {
                o.set("error", answer.has("error") ? answer.get("error") : answer);
            }
        }
        if (withCost) {
            o.put("cost", Cost.rendered(r.cost() == null ? BigDecimal.ZERO : r.cost()));
        }
        return o;
    }

    private JsonNode parse(String json) {
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            return mapper.getNodeFactory().textNode(json);
        }
    }

    private void respond(Exchange exchange, int status, ObjectNode body) {
        JsonAnswer.respond(exchange, mapper, status, body);
    }

    private static Caller caller(Exchange exchange) {
        return exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
    }

    private static int limit(String value) {
        if (value == null) {
            return 100;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= 1000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // falls through
        }
        throw GatewayException.invalid("limit", "limit must be an integer from 1 to 1000");
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }

    private static String newId() {
        return "batch_" + UUID.randomUUID().toString().replace("-", "");
    }

    private static <T> T database(StoreCall<T> call) {
        return StoreCall.answering("batch store", call);
    }
}
