package ai.infrastack.gateway.architecture;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.model.BeanDefinition;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.DynamicRouterDefinition;
import org.apache.camel.model.EndpointRequiredDefinition;
import org.apache.camel.model.EnrichDefinition;
import org.apache.camel.model.Model;
import org.apache.camel.model.OnExceptionDefinition;
import org.apache.camel.model.PollEnrichDefinition;
import org.apache.camel.model.ProcessDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RecipientListDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.RoutingSlipDefinition;
import org.apache.camel.model.ToDynamicDefinition;
import org.apache.camel.model.language.ExpressionDefinition;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The routes of a context as a graph read from their definitions: each route's consumer, and
 * each step as what it calls — an endpoint ({@code to}, {@code toD}, wire-tap, enrich, recipient
 * list…) or a bean ({@code process}, {@code bean}). A call to {@code direct:}/{@code seda:} leads
 * to the routes consuming from it; a dynamic URI ({@code direct:provider-${...}}) leads to every
 * route it could name.
 */
final class RouteGraph {
    /** One step: "endpoint:<normalised uri>" or "bean:<name>". */
    record Step(String kind, String target) {
        @Override
        public String toString() {
            return kind + ":" + target;
        }
    }

    /**
     * @param steps    every step, error handling included (an error handler that called a provider would be a way round the checks)
     * @param mainPath the steps of the route itself, in order, without its error handling
     */
    record RouteNode(String id, String from, List<Step> steps, List<Step> mainPath) {
    }

    /**
     * Steps that send to a route from Java, which no route definition shows: the provider template's
     * retrying call sends each attempt to direct:upstream-call. A new such step belongs here, or the
     * choke-point test cannot see what it reaches.
     */
    private static final Map<String, String> JAVA_SENDS = Map.of("retryingUpstreamCall", "direct:upstream-call");

    private final Map<String, RouteNode> routes = new LinkedHashMap<>();

    RouteGraph(Collection<RouteNode> nodes) {
        nodes.forEach(n -> routes.put(n.id(), n));
    }

    /** Every route of the running context; consumers as the running routes resolved them (templates included). */
    static RouteGraph of(CamelContext context) {
        List<RouteNode> nodes = new ArrayList<>();
        for (RouteDefinition def : context.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinitions()) {
            Route running = context.getRoute(def.getRouteId());
            String from = running != null ? running.getEndpoint().getEndpointUri() : def.getInput().getEndpointUri();
            nodes.add(node(def.getRouteId(), from, def));
        }
        return new RouteGraph(nodes);
    }

    static RouteNode node(String id, String from, RouteDefinition def) {
        List<Step> steps = new ArrayList<>();
        collect(def.getOutputs(), steps);
        List<Step> mainPath = new ArrayList<>();
        collect(def.getOutputs().stream().filter(p -> !(p instanceof OnExceptionDefinition)).toList(), mainPath);
        return new RouteNode(id, normalise(from), steps, mainPath);
    }

    RouteGraph with(Collection<RouteNode> more) {
        List<RouteNode> all = new ArrayList<>(routes.values());
        all.addAll(more);
        return new RouteGraph(all);
    }

    Collection<RouteNode> routes() {
        return routes.values();
    }

    RouteNode route(String id) {
        return routes.get(id);
    }

    /** The routes a step leads to (a direct: or seda: call). */
    List<RouteNode> callees(Step step) {
        List<RouteNode> out = new ArrayList<>();
        if (!step.kind().equals("endpoint")) {
            return out;
        }
        Pattern target = pattern(step.target());
        for (RouteNode r : routes.values()) {
            if ((r.from().startsWith("direct:") || r.from().startsWith("seda:")) && target.matcher(r.from()).matches()) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Every step reachable from these steps, following direct:/seda: calls into their routes, but
     * not into a route consuming from {@code stopAt} (null: follow all).
     */
    Set<Step> reach(List<Step> start, String stopAt) {
        Set<Step> seen = new LinkedHashSet<>();
        Set<String> visited = new LinkedHashSet<>();
        Deque<Step> todo = new ArrayDeque<>(start);
        while (!todo.isEmpty()) {
            Step s = todo.pop();
            if (!seen.add(s)) {
                continue;
            }
            if (s.kind().equals("bean") && JAVA_SENDS.containsKey(s.target())) {
                todo.add(new Step("endpoint", JAVA_SENDS.get(s.target())));
            }
            for (RouteNode callee : callees(s)) {
                if (!callee.from().equals(stopAt) && visited.add(callee.id())) {
                    todo.addAll(callee.steps());
                }
            }
        }
        return seen;
    }

    /** The routes reachable from these steps, not entering a route consuming from {@code stopAt} (null: none). */
    Set<String> routesReached(List<Step> start, String stopAt) {
        Set<String> out = new LinkedHashSet<>();
        for (Step s : reach(start, stopAt)) {
            callees(s).stream().filter(r -> !r.from().equals(stopAt)).forEach(r -> out.add(r.id()));
        }
        return out;
    }

    private static void collect(List<ProcessorDefinition<?>> outputs, List<Step> steps) {
        for (ProcessorDefinition<?> p : outputs) {
            if (p instanceof ProcessDefinition process) {
                steps.add(new Step("bean", process.getRef()));
            } else if (p instanceof BeanDefinition bean) {
                steps.add(new Step("bean", bean.getRef() != null ? bean.getRef() : bean.getBeanType()));
            } else if (p instanceof ToDynamicDefinition dynamic) {
                steps.add(new Step("endpoint", normalise(dynamic.getUri())));
            } else if (p instanceof EndpointRequiredDefinition endpoint) {
                steps.add(new Step("endpoint", normalise(endpoint.getEndpointUri())));
            } else if (p instanceof EnrichDefinition || p instanceof PollEnrichDefinition || p instanceof RecipientListDefinition
                    || p instanceof RoutingSlipDefinition || p instanceof DynamicRouterDefinition) {
                ExpressionDefinition e = ((org.apache.camel.model.ExpressionNode) p).getExpression();
                steps.add(new Step("endpoint", normalise(e == null ? "*" : e.getExpression())));
            }
            if (p instanceof ChoiceDefinition choice) {
                choice.getWhenClauses().forEach(w -> collect(w.getOutputs(), steps));
                if (choice.getOtherwise() != null) {
                    collect(choice.getOtherwise().getOutputs(), steps);
                }
            }
            collect(p.getOutputs(), steps);
        }
    }

    /** "direct://chat?block=true" → "direct:chat". */
    static String normalise(String uri) {
        if (uri == null) {
            return "";
        }
        String u = uri.trim();
        int q = u.indexOf('?');
        if (q >= 0 && !u.substring(0, q).contains("${")) {
            u = u.substring(0, q);
        }
        int colon = u.indexOf(':');
        if (colon > 0) {
            String rest = u.substring(colon + 1);
            while (rest.startsWith("/") && !u.startsWith("http")) {
                rest = rest.substring(1);
            }
            u = u.substring(0, colon).toLowerCase(Locale.ROOT) + ":" + rest;
        }
        return u;
    }

    /** A URI as a pattern: ${...} and {{...}} (and a bare expression) stand for anything. */
    static Pattern pattern(String uri) {
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < uri.length()) {
            int dollar = uri.indexOf("${", i);
            int brace = uri.indexOf("{{", i);
            int next = dollar < 0 ? brace : brace < 0 ? dollar : Math.min(dollar, brace);
            if (next < 0) {
                regex.append(Pattern.quote(uri.substring(i)));
                break;
            }
            regex.append(Pattern.quote(uri.substring(i, next)));
            int end = uri.indexOf(next == dollar ? "}" : "}}", next);
            if (end < 0) {
                regex.append(".*");
                break;
            }
            regex.append(".*");
            i = end + (next == dollar ? 1 : 2);
        }
        return Pattern.compile(regex.toString().isEmpty() || uri.equals("*") ? ".*" : regex.toString());
    }
}
