package ai.infrastack.gateway.clients;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.opentest4j.AssertionFailedError;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The JavaScript clients people use — the OpenAI Node SDK, the Vercel AI SDK and LangChain.js, at the
 * versions pinned in {@code src/test/node/package-lock.json} — run by Node's own test runner
 * ({@code src/test/node/test/*.test.mjs}) against the packaged jar. Each Node test case becomes one
 * test here: passed, failed with Node's message, or skipped with the reason it gives (the issue item
 * that builds the missing feature).
 *
 * <p>Dependencies are installed with {@code npm ci} when the lock file changed since the last install.
 * Without {@code node} on the PATH the tests are skipped, unless {@code -Dclients.node.required=true}
 * (as CI sets) makes that a failure.
 */
@ExtendWith(PackagedGatewayExtension.class)
class NodeClientsIT {
    private static final Path PROJECT = Path.of("src", "test", "node");
    private static final long NODE_TIMEOUT_MINUTES = 15;

    @TestFactory
    List<DynamicTest> official_javascript_clients_work_unchanged_against_the_packaged_gateway(PackagedGateway gateway) throws Exception {
        if (!commandAvailable("node") || !commandAvailable("npm")) {
            if (Boolean.getBoolean("clients.node.required")) {
                throw new AssertionFailedError("node and npm are required for the client tests (clients.node.required=true)");
            }
            Assumptions.abort("node or npm is not on the PATH: the JavaScript client tests are skipped");
        }
        installDependencies();
        Path report = PackagedGateway.WORK.resolve("node-clients.xml").toAbsolutePath();
        Files.deleteIfExists(report);
        ProcessBuilder node = new ProcessBuilder("node", "--test",
                "--test-reporter=spec", "--test-reporter-destination=stdout",
                "--test-reporter=junit", "--test-reporter-destination=" + report,
                "test/")
                .directory(PROJECT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(PackagedGateway.WORK.resolve("node-clients.log").toFile());
        node.environment().put("GATEWAY_BASE_URL", gateway.baseUrl());
        node.environment().put("GATEWAY_API_KEY", PackagedGateway.MASTER_KEY);
        run(node, "node --test");
        if (!Files.isRegularFile(report)) {
            throw new AssertionFailedError("node --test wrote no report; see " + PackagedGateway.WORK.resolve("node-clients.log"));
        }
        return testsIn(report);
    }

    /** {@code npm ci} when node_modules was installed from another lock file (or never). */
    private static void installDependencies() throws Exception {
        Path lock = PROJECT.resolve("package-lock.json");
        Path stamp = PROJECT.resolve("node_modules").resolve(".installed-from-lock");
        String lockHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(lock)));
        if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(lockHash)) {
            return;
        }
        run(new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
                .directory(PROJECT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(PackagedGateway.WORK.resolve("npm-ci.log").toFile()), "npm ci");
        Files.writeString(stamp, lockHash);
    }

    /** Runs to the end; a non-zero exit is fine (failed Node tests are reported one by one), a hang is not. */
    private static void run(ProcessBuilder builder, String what) throws Exception {
        Files.createDirectories(PackagedGateway.WORK);
        Process process = builder.start();
        if (!process.waitFor(NODE_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new AssertionFailedError(what + " did not finish within " + NODE_TIMEOUT_MINUTES + " minutes");
        }
        if ("npm ci".equals(what) && process.exitValue() != 0) {
            throw new AssertionFailedError("npm ci failed; see " + PackagedGateway.WORK.resolve("npm-ci.log"));
        }
    }

    private static boolean commandAvailable(String command) {
        try {
            Process p = new ProcessBuilder(command, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** One dynamic test per {@code <testcase>} of Node's JUnit report, named "suite › case". */
    private static List<DynamicTest> testsIn(Path report) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = factory.newDocumentBuilder().parse(report.toFile());
        NodeList cases = doc.getElementsByTagName("testcase");
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < cases.getLength(); i++) {
            Element testCase = (Element) cases.item(i);
            String name = suiteOf(testCase) + " › " + testCase.getAttribute("name");
            Element failure = child(testCase, "failure");
            Element skipped = child(testCase, "skipped");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                if (skipped != null) {
                    Assumptions.abort(skipped.getAttribute("message"));
                }
                if (failure != null) {
                    throw new AssertionFailedError(failure.getAttribute("message") + "\n" + failure.getTextContent().strip());
                }
            }));
        }
        if (tests.isEmpty()) {
            throw new AssertionFailedError("Node's report lists no test: " + new String(Files.readAllBytes(report), StandardCharsets.UTF_8));
        }
        return tests;
    }

    private static String suiteOf(Element testCase) {
        Node parent = testCase.getParentNode();
        return parent instanceof Element e && "testsuite".equals(e.getTagName()) ? e.getAttribute("name") : "node";
    }

    private static Element child(Element parent, String tag) {
        NodeList children = parent.getElementsByTagName(tag);
        return children.getLength() == 0 ? null : (Element) children.item(0);
    }
}
