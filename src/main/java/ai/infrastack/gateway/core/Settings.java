package ai.infrastack.gateway.core;

import org.apache.camel.CamelContext;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * The gateway's settings: a property (application.properties, {@code -Dname=value}), else an
 * environment variable of that name (provider keys such as {@code OPENAI_API_KEY}). Every default
 * is written once, in application.properties, which is also packaged in the jar; a setting the
 * code requires and nobody set fails start-up naming it.
 */
public final class Settings {
    private final CamelContext context;

    private Settings(CamelContext context) {
        this.context = context;
    }

    public static Settings of(CamelContext context) {
        return new Settings(context);
    }

    /** The value, or null when it is unset or blank. */
    public String optional(String name) {
        String v = context.getPropertiesComponent().resolveProperty(name).orElse(null);
        if (v == null || v.isBlank()) {
            v = System.getenv(name);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    public Optional<String> find(String name) {
        return Optional.ofNullable(optional(name));
    }

    public String require(String name) {
        String v = optional(name);
        if (v == null) {
            throw new IllegalStateException("The setting '" + name + "' is missing: application.properties defines every default");
        }
        return v;
    }

    public int integer(String name) {
        return Integer.parseInt(require(name));
    }

    public long longValue(String name) {
        return Long.parseLong(require(name));
    }

    public boolean flag(String name) {
        return Boolean.parseBoolean(require(name));
    }

    public BigDecimal decimal(String name) {
        return new BigDecimal(require(name));
    }
}
