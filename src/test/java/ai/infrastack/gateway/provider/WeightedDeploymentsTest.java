package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two deployments of one provider, declared in its route file with weights 3:1, over real HTTP:
 * the sandbox sees each deployment's own key, in the proportion of the weights; and a deployment
 * that fails is taken out of rotation by its own breaker while the other keeps answering.
 */
class WeightedDeploymentsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void calls_are_split_over_the_declared_deployments_by_weight() throws Exception {
        Path routes = tmp.resolve("routes");
        copyTree(Path.of("routes"), routes);
        String openai = Files.readString(routes.resolve("providers/openai.yaml"));
        Files.writeString(routes.resolve("providers/openai.yaml"), openai + """
                      - name: deployments
                        value: "eu:3,us:1"
                      - name: balancing
                        value: weighted
                """);
        try (RunningGateway gateway = RunningGateway.start(Map.of("gateway.routes-dir", routes.toString()))) {
            for (int i = 0; i < 40; i++) {
                ObjectNode body = JSON.createObjectNode().put("model", "gpt-4o-mini");
                body.putArray("messages").addObject().put("role", "user").put("content", "call " + i);
                HttpResponse<String> r = gateway.post("/chat/completions", body.toString(), RunningGateway.MASTER_KEY);
                assertEquals(200, r.statusCode(), r.body());
            }
            Map<String, Long> byKey = gateway.sandbox().recorded().stream().filter(q -> q.format().equals("openai"))
                    .collect(Collectors.groupingBy(q -> q.header("Authorization"), Collectors.counting()));
            assertEquals(Map.of("Bearer sandbox-key-eu", 30L, "Bearer sandbox-key-us", 10L), byKey);
        }
    }

    @Test
    void a_deployment_whose_breaker_opens_is_passed_over() throws Exception {
        Path routes = tmp.resolve("routes");
        copyTree(Path.of("routes"), routes);
        String openai = Files.readString(routes.resolve("providers/openai.yaml"));
        Files.writeString(routes.resolve("providers/openai.yaml"), openai + """
                      - name: deployments
                        value: "eu,us"
                """);
        try (RunningGateway gateway = RunningGateway.start(Map.of(
                "gateway.routes-dir", routes.toString(),
                // us is unreachable: nothing listens on port 1
                "gateway.provider.openai.us.base-url", "http://127.0.0.1:1/v1",
                "gateway.breaker.minimum-calls", "2",
                "gateway.breaker.window-size", "2",
                "gateway.breaker.failure-rate-threshold", "100",
                "gateway.retry.network-retries", "0"))) {
            int failed = 0;
            for (int i = 0; i < 4; i++) {
                failed += call(gateway, i) == 200 ? 0 : 1;
            }
            assertEquals(2, failed, "round robin sent every other call to the unreachable deployment until its breaker opened");
            for (int i = 0; i < 10; i++) {
                assertEquals(200, call(gateway, 10 + i), "us is out of rotation");
            }
        }
    }

    private static int call(RunningGateway gateway, int i) {
        ObjectNode body = JSON.createObjectNode().put("model", "gpt-4o-mini");
        body.putArray("messages").addObject().put("role", "user").put("content", "call " + i);
        return gateway.post("/chat/completions", body.toString(), RunningGateway.MASTER_KEY).statusCode();
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
