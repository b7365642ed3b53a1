package ai.infrastack.gateway.support;

import ai.infrastack.gateway.support.PrometheusText.Sample;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test-side Prometheus text-format parser reads what Prometheus reads, and refuses what it refuses. */
class PrometheusTextTest {

    @Test
    void readsHelpTypeAndSamplesWithLabels() {
        PrometheusText p = PrometheusText.parse("""
                # HELP http_requests_total The total number of HTTP requests.
                # TYPE http_requests_total counter
                http_requests_total{method="post",code="200"} 1027 1395066363000
                http_requests_total{method="post",code="400"}    3 1395066363000

                # A plain comment is ignored
                metric_without_labels 12.47
                """);
        assertEquals("counter", p.type("http_requests_total"));
        assertEquals("The total number of HTTP requests.", p.help("http_requests_total"));
        assertEquals(3, p.samples().size());
        Sample first = p.samples("http_requests_total", "code", "200").get(0);
        assertEquals(Map.of("method", "post", "code", "200"), first.labels());
        assertEquals(1027.0, first.value());
        assertEquals(1395066363000L, first.timestampMs());
        assertEquals(1030.0, p.sum("http_requests_total", "method", "post"));
        assertEquals(12.47, p.samples("metric_without_labels").get(0).value());
        assertNull(p.samples("metric_without_labels").get(0).timestampMs());
        assertNull(p.type("metric_without_labels"), "no TYPE line, no type");
        assertEquals(0.0, p.sum("http_requests_total", "code", "500"), "no match sums to 0");
    }

    @Test
    void unescapesLabelValuesAndHelpText() {
        PrometheusText p = PrometheusText.parse(
                "# HELP odd A back\\\\slash and a\\nnew line, \"quotes\" kept\n"
                        + "# TYPE odd gauge\n"
                        + "odd{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\",brace=\"a}b,c=\\\"d\\\"\"} 1\n");
        assertEquals("A back\\slash and a\nnew line, \"quotes\" kept", p.help("odd"));
        Sample s = p.samples("odd").get(0);
        assertEquals("C:\\DIR\\FILE.TXT", s.label("path"));
        assertEquals("Cannot find file:\n\"FILE.TXT\"", s.label("error"));
        assertEquals("a}b,c=\"d\"", s.label("brace"));
        assertEquals(3, s.labels().size());
    }

    @Test
    void readsHistogramFamiliesAndSpecialValues() {
        PrometheusText p = PrometheusText.parse("""
                # TYPE rpc_duration_seconds histogram
                rpc_duration_seconds_bucket{le="0.05"} 24054
                rpc_duration_seconds_bucket{le="+Inf"} 144320
                rpc_duration_seconds_sum 53423
                rpc_duration_seconds_count 144320
                # TYPE odd_values gauge
                odd_values{k="nan"} NaN
                odd_values{k="pinf"} +Inf
                odd_values{k="ninf"} -Inf
                odd_values{k="exp"} 1.5E-6
                odd_values{k="neg"} -2.5e+3
                odd_values{k="trailing_comma",} 7
                odd_values { k = "spaced" , j="x" }	8
                odd_values{k="glued"}9
                # HELP
                # TYPE
                """);
        assertEquals("histogram", p.type("rpc_duration_seconds"));
        assertEquals("histogram", p.type("rpc_duration_seconds_bucket"));
        assertEquals("histogram", p.type("rpc_duration_seconds_count"));
        assertEquals("histogram", p.type("rpc_duration_seconds_sum"));
        assertEquals(144320.0, p.samples("rpc_duration_seconds_bucket", "le", "+Inf").get(0).value());
        assertTrue(Double.isNaN(p.samples("odd_values", "k", "nan").get(0).value()));
        assertEquals(Double.POSITIVE_INFINITY, p.samples("odd_values", "k", "pinf").get(0).value());
        assertEquals(Double.NEGATIVE_INFINITY, p.samples("odd_values", "k", "ninf").get(0).value());
        assertEquals(1.5e-6, p.samples("odd_values", "k", "exp").get(0).value());
        assertEquals(-2500.0, p.samples("odd_values", "k", "neg").get(0).value());
        assertEquals(7.0, p.samples("odd_values", "k", "trailing_comma").get(0).value());
        assertEquals(8.0, p.samples("odd_values", "k", "spaced", "j", "x").get(0).value());
        assertEquals(9.0, p.samples("odd_values", "k", "glued").get(0).value());
        assertEquals("gauge", p.types().get("odd_values"));
    }

    @ParameterizedTest(name = "refuses {0}")
    @ValueSource(strings = {
            "no_value",
            "bad_value abc",
            "9starts_with_digit 1",
            "unclosed{a=\"b\" 1",
            "unterminated{a=\"b} 1",
            "unquoted{a=b} 1",
            "bad_escape{a=\"\\t\"} 1",
            "duplicate{a=\"1\",a=\"2\"} 1",
            "missing_comma{a=\"1\" b=\"2\"} 1",
            "bad_label{9a=\"1\"} 1",
            "dash-in-name 1",
            "bad_timestamp 1 12.5",
            "trailing 1 2 3",
            "# TYPE x notatype",
            "# TYPE x",
            "# TYPE x counter extra",
    })
    void refusesMalformedLines(String line) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("ok 1\n" + line + "\n"));
        assertTrue(e.getMessage().startsWith("line 2 "), e.getMessage());
    }

    @Test
    void refusesASecondTypeForOneFamily() {
        assertThrows(IllegalArgumentException.class,
                () -> PrometheusText.parse("# TYPE a counter\na_total 1\n# TYPE a gauge\n"));
    }

    @Test
    void readsWhatMicrometersPrometheusRegistryWrites() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        String tricky = "quote \" backslash \\ newline \n end";
        Counter.builder("demo_requests").description("Demo \\ counter").tag("model", tricky).tag("provider", "p")
                .register(registry).increment(3);
        Counter.builder("demo_requests").tag("model", "plain").tag("provider", "p").register(registry).increment(0.25);
        Timer.builder("demo_duration").tag("model", "plain").publishPercentileHistogram().register(registry)
                .record(Duration.ofMillis(120));

        PrometheusText p = PrometheusText.parse(registry.scrape());

        assertEquals("counter", p.type("demo_requests_total"));
        assertEquals("Demo \\ counter", p.help("demo_requests_total"));
        assertEquals(3.0, p.sum("demo_requests_total", "model", tricky));
        assertEquals(3.25, p.sum("demo_requests_total", "provider", "p"));
        assertEquals("histogram", p.type("demo_duration_seconds"));
        assertEquals(1.0, p.sum("demo_duration_seconds_count", "model", "plain"));
        assertEquals(0.12, p.sum("demo_duration_seconds_sum", "model", "plain"), 1e-12);
        List<Sample> buckets = p.samples("demo_duration_seconds_bucket", "model", "plain");
        assertTrue(buckets.size() > 10, "a percentile histogram has many buckets: " + buckets.size());
        assertEquals(1.0, p.sum("demo_duration_seconds_bucket", "le", "+Inf"));
    }
}
