package ai.infrastack.gateway.architecture;

import ai.infrastack.gateway.architecture.RouteGraph.RouteNode;
import ai.infrastack.gateway.architecture.RouteGraph.Step;
import ai.infrastack.gateway.support.RunningGateway;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.RouteDefinition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One choke point: every way in that carries chat work — HTTP unary and streamed, and whatever
 * comes later (batch items, Kafka or RabbitMQ messages, the Responses API) — passes the chat
 * route's authentication, rate-limit and budget steps. Read from the route definitions of the
 * running gateway, so a route added later is checked without editing this test: chat work is
 * what the chat route does from its provider call on (the provider routes, the upstream call, the
 * stream relay, cost, rendering), and no route may reach any of it except through {@code direct:chat}.
 * (A Java bean sending to a provider with a ProducerTemplate is invisible here; none does.)
 */
class ChokePointTest {
    /** The check steps, in the order the pipeline runs them; a budget step is any bean named *budget*. */
    private static final String AUTHENTICATE = "apiKeyAuthenticator";
    private static final String VALIDATE = "chatRequestValidator";
    private static final String RATE_LIMIT = "rateLimiter";
    private static final String CHAT = "direct:chat";
    /** The request log records every answer, errors included; it does no chat work. */
    private static final String ANALYTICS = "direct:analytics";

    private static RunningGateway gateway;
    private static RouteGraph graph;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
        graph = RouteGraph.of(gateway.context());
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void the_chat_route_authenticates_validates_rate_limits_and_budgets_before_any_chat_work() {
        RouteNode chat = graph.route("chat");
        assertEquals(CHAT, chat.from());
        assertEquals(List.of("chat"), graph.routes().stream().filter(r -> r.from().equals(CHAT)).map(RouteNode::id).toList(),
                "one route behind direct:chat");
        List<String> steps = chat.mainPath().stream().map(Step::target).toList();
        int auth = steps.indexOf(AUTHENTICATE);
        int validate = steps.indexOf(VALIDATE);
        int limit = steps.indexOf(RATE_LIMIT);
        int provider = firstIndex(steps, "direct:provider-");
        assertTrue(auth >= 0 && validate > auth && limit > validate && provider > limit,
                "authenticate → validate → rate limit → provider call, got " + steps);
        int budget = steps.indexOf("budgetGuard");
        assertTrue(budget > limit && budget < provider, "the budget check sits after the rate limiter, before the call: " + steps);
        assertTrue(steps.indexOf("budgetSettler") > steps.indexOf("costCalculator"),
                "the budget is settled with the answer's cost (a stream's at its end): " + steps);
        int charge = steps.indexOf("tokenCharger");
        assertTrue(charge > steps.indexOf("streamRelay") && charge > steps.indexOf("costCalculator"),
                "real token usage is charged after the answer (a stream's at its end): " + steps);
        assertTrue(graph.reach(chat.mainPath().subList(0, limit), null).stream().noneMatch(chatWork()::contains),
                "nothing before the rate limiter calls a provider: " + steps);
    }

    @Test
    void every_route_of_the_running_gateway_reaches_chat_work_only_through_direct_chat() {
        assertTrue(graph.routes().size() > 10, "the gateway's routes were read: " + graph.routes());
        assertEquals(Map.of(), violations(graph));
    }

    @Test
    void a_way_in_that_skips_direct_chat_is_caught_whatever_its_consumer() throws Exception {
        RouteGraph withLater = graph.with(definitions(new RouteBuilder() {
            @Override
            public void configure() {
                // conforming: what later issues will add
                from("platform-http:/api/v1/responses").routeId("responses").process("responsesTranslator").to("direct:chat");
                from("kafka:chat-requests?brokers=127.0.0.1:9092").routeId("kafka-ingress").to("direct:bus-item");
                from("direct:bus-item").routeId("bus-item").process("busEnvelope").to("direct:chat");
                from("scheduler:batches").routeId("batch-runner").to("seda:batch-item");
                from("seda:batch-item").routeId("batch-item").to("direct:chat");
                // skipping the checks
                from("spring-rabbitmq:gateway?queues=chat").routeId("rabbit-shortcut")
                        .process("modelResolver").toD("direct:provider-${exchangeProperty.provider}");
                from("platform-http:/api/v1/batches/run").routeId("batch-shortcut").to("direct:batch-shortcut-item");
                from("direct:batch-shortcut-item").routeId("batch-shortcut-item").to("direct:upstream-call");
                from("kafka:raw?brokers=127.0.0.1:9092").routeId("kafka-provider").to("direct:provider-openai");
            }
        }));
        assertEquals(Set.of("rabbit-shortcut", "batch-shortcut", "batch-shortcut-item", "kafka-provider"),
                violations(withLater).keySet());
    }

    /** Route id → the chat work it reaches without passing direct:chat. */
    private static Map<String, Set<String>> violations(RouteGraph g) {
        Set<Step> work = chatWork(g);
        Set<String> pipeline = g.routesReached(afterChecks(g), null);
        Map<String, Set<String>> found = new LinkedHashMap<>();
        for (RouteNode r : g.routes()) {
            if (r.id().equals("chat") || pipeline.contains(r.id())) {
                continue;
            }
            Set<String> reached = new LinkedHashSet<>();
            g.reach(r.steps(), CHAT).stream().filter(work::contains).forEach(s -> reached.add(s.toString()));
            g.routesReached(r.steps(), CHAT).stream().filter(pipeline::contains).forEach(id -> reached.add("route:" + id));
            if (!reached.isEmpty()) {
                found.put(r.id(), reached);
            }
        }
        return found;
    }

    private static Set<Step> chatWork() {
        return chatWork(graph);
    }

    /** What the chat route does after its checks, followed into every route it calls (the request log aside). */
    private static Set<Step> chatWork(RouteGraph g) {
        return g.reach(afterChecks(g), null);
    }

    /** The chat route from its provider call on: the upstream call and what it answers with. */
    private static List<Step> afterChecks(RouteGraph g) {
        List<Step> steps = g.route("chat").mainPath();
        int call = firstIndex(steps.stream().map(Step::target).toList(), "direct:provider-");
        List<Step> after = new ArrayList<>(steps.subList(call, steps.size()));
        after.removeIf(s -> s.target().equals(ANALYTICS));
        return after;
    }

    private static int firstIndex(List<String> steps, String prefix) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static List<RouteNode> definitions(RouteBuilder builder) throws Exception {
        builder.setCamelContext(gateway.context());
        builder.configure();
        List<RouteNode> nodes = new ArrayList<>();
        for (RouteDefinition def : builder.getRouteCollection().getRoutes()) {
            nodes.add(RouteGraph.node(def.getRouteId(), def.getInput().getEndpointUri(), def));
        }
        return nodes;
    }
}
